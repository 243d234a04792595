/**
 * Decoded MAVLink frames → points. Pure: no I/O, no timers; the caller passes the time.
 *
 * Each message id is compiled once into a plan (field offsets, readers, scaling, invalid markers,
 * metric names) from the dialect's definitions, so the hot path is a loop of DataView reads.
 */
import type { PointInput } from "../../src/pipeline/point.js";
import type { Dialect } from "./dialect.js";
import type { RawFrame } from "./framing.js";
import { MAV_AUTOPILOT_INVALID, MAV_MODE_FLAG_SAFETY_ARMED, modeName, severityName, stateName } from "./modes.js";
import { type InvalidMarker, isMarker, parseInvalidMarker, scalingFor } from "./units.js";

enum Kind {
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  F32,
  F64,
  Text,
}

const KINDS: Record<string, Kind> = {
  int8_t: Kind.I8,
  uint8_t: Kind.U8,
  uint8_t_mavlink_version: Kind.U8,
  int16_t: Kind.I16,
  uint16_t: Kind.U16,
  int32_t: Kind.I32,
  uint32_t: Kind.U32,
  int64_t: Kind.I64,
  uint64_t: Kind.U64,
  float: Kind.F32,
  double: Kind.F64,
  char: Kind.Text,
};

interface FieldPlan {
  kind: Kind;
  offset: number;
  size: number;
  /** Array length; 1 for a scalar. */
  count: number;
  extension: boolean;
  /** One name per element. */
  metrics: string[];
  mul: number;
  div: number;
  unit: string | undefined;
  invalid: InvalidMarker | undefined;
  floatArray: boolean;
}

interface MessagePlan {
  name: string;
  fields: FieldPlan[];
  /** Payload bytes with every extension field. */
  fullLength: number;
  /** Payload bytes without extensions: a payload no longer than this came from a sender that knows none. */
  baseLength: number;
  special: "heartbeat" | "statustext" | undefined;
  /** From `rates`; 0 = no limit. */
  minIntervalMs: number;
}

export interface DecoderOptions {
  angles: "radians" | "degrees";
  include: string[];
  exclude: string[];
  /** Message name → Hz. */
  rates: Record<string, number>;
  /** Called for values a decoder skips that are no sentinel of the definitions (NaN, ±Infinity). */
  count(name: string, n?: number): void;
}

/** Event strings the gateway accepts (PLEXUS-PROTOCOL.md). */
const MAX_STRING_BYTES = 256;
const ID_STRINGS = Array.from({ length: 256 }, (_, i) => String(i));

export class MessageDecoder {
  private readonly plans = new Map<number, MessagePlan | null>();
  private readonly scratch = new Uint8Array(264);
  private readonly view = new DataView(this.scratch.buffer);
  private readonly nextDue = new Map<number, number>();
  private readonly lastHeartbeat = new Map<number, { mode: string; state: string }>();
  private readonly include: Set<string> | undefined;
  private readonly exclude: Set<string>;

  constructor(
    private readonly messages: Dialect,
    private readonly options: DecoderOptions,
  ) {
    this.include = options.include.length ? new Set(options.include) : undefined;
    this.exclude = new Set(options.exclude);
  }

  /** Forgets per-stream state (decimation, last heartbeat): a replay starting over. */
  reset(): void {
    this.nextDue.clear();
    this.lastHeartbeat.clear();
  }

  /**
   * Appends the frame's points to `out`; returns how many. `timeMs` drives decimation (capture
   * time in a replay, the monotonic clock live); `timestamp` goes on the points (undefined: the
   * pipeline stamps them).
   */
  decode(frame: RawFrame, timeMs: number, timestamp: number | undefined, out: PointInput[]): number {
    let plan = this.plans.get(frame.msgid);
    if (plan === undefined) {
      plan = this.compile(frame.msgid);
      this.plans.set(frame.msgid, plan);
    }
    if (plan === null) return 0;
    if (plan.minIntervalMs > 0 && !this.due(frame, timeMs, plan.minIntervalMs)) return 0;

    const payload = frame.payload;
    const scratch = this.scratch;
    scratch.set(payload, 0);
    if (payload.length < plan.fullLength) scratch.fill(0, payload.length, plan.fullLength);
    // MAVLink 1 carries no extensions; a MAVLink 2 payload that stops before them came from a
    // sender whose definition has none: zeros there would be invented data.
    const withExtensions = frame.version === 2 && payload.length > plan.baseLength;
    const system = ID_STRINGS[frame.sysid];
    const component = ID_STRINGS[frame.compid];
    const before = out.length;

    for (const field of plan.fields) {
      if (field.extension && !withExtensions) continue;
      if (field.kind === Kind.Text) {
        const text = this.readText(field.offset, field.count);
        if (text) out.push({ metric: field.metrics[0], value: text, timestamp, tags: { system_id: system, component_id: component } });
        continue;
      }
      const invalid = field.invalid;
      if (field.count === 1) {
        const raw = this.read(field.kind, field.offset);
        if (invalid !== undefined && isMarker(raw, invalid.value)) continue;
        this.pushNumber(out, field, 0, raw, timestamp, system, component);
        continue;
      }
      if (invalid !== undefined && field.floatArray && invalid.array === "each" && this.allMarkers(field, invalid.value)) continue;
      for (let i = 0; i < field.count; i++) {
        const raw = this.read(field.kind, field.offset + i * field.size);
        if (invalid !== undefined && isMarker(raw, invalid.value)) {
          if (invalid.array === "from") break;
          if (!field.floatArray) continue;
        }
        this.pushNumber(out, field, i, raw, timestamp, system, component);
      }
    }

    if (plan.special === "heartbeat") this.heartbeatEvents(frame, timestamp, system, component, out);
    else if (plan.special === "statustext") this.tagSeverity(out, before);
    return out.length - before;
  }

  private pushNumber(
    out: PointInput[],
    field: FieldPlan,
    index: number,
    raw: number,
    timestamp: number | undefined,
    system: string,
    component: string,
  ) {
    const value = (raw * field.mul) / field.div;
    if (!Number.isFinite(value)) {
      this.options.count("non_finite_values");
      return;
    }
    const tags: Record<string, string> =
      field.unit === undefined
        ? { system_id: system, component_id: component }
        : { system_id: system, component_id: component, unit: field.unit };
    out.push({ metric: field.metrics[index], value, timestamp, tags });
  }

  private read(kind: Kind, offset: number): number {
    const view = this.view;
    switch (kind) {
      case Kind.I8:
        return view.getInt8(offset);
      case Kind.U8:
        return view.getUint8(offset);
      case Kind.I16:
        return view.getInt16(offset, true);
      case Kind.U16:
        return view.getUint16(offset, true);
      case Kind.I32:
        return view.getInt32(offset, true);
      case Kind.U32:
        return view.getUint32(offset, true);
      case Kind.I64:
        return view.getInt32(offset + 4, true) * 4294967296 + view.getUint32(offset, true);
      case Kind.U64:
        return view.getUint32(offset + 4, true) * 4294967296 + view.getUint32(offset, true);
      case Kind.F32:
        return view.getFloat32(offset, true);
      case Kind.F64:
        return view.getFloat64(offset, true);
      default:
        return Number.NaN;
    }
  }

  private readText(offset: number, length: number): string {
    const scratch = this.scratch;
    let end = offset;
    let ascii = true;
    while (end < offset + length && scratch[end] !== 0) {
      if (scratch[end] > 0x7e || scratch[end] < 0x20) ascii = false;
      end++;
    }
    if (end === offset) return "";
    if (ascii && end - offset <= MAX_STRING_BYTES)
      return String.fromCharCode.apply(null, scratch.subarray(offset, end) as unknown as number[]);
    // Control characters would only garble a dashboard line; invalid UTF-8 becomes U+FFFD.
    const bytes = Buffer.from(scratch.subarray(offset, end));
    for (let i = 0; i < bytes.length; i++) if (bytes[i] < 0x20 || bytes[i] === 0x7f) bytes[i] = 0x20;
    let text = bytes.toString("utf8").trim();
    // Each invalid byte became a 3-byte U+FFFD: keep within the gateway's 256-byte limit for strings.
    if (Buffer.byteLength(text) > MAX_STRING_BYTES) {
      this.options.count("strings_truncated");
      while (Buffer.byteLength(text) > MAX_STRING_BYTES) text = text.slice(0, -1);
    }
    return text;
  }

  private allMarkers(field: FieldPlan, marker: number): boolean {
    for (let i = 0; i < field.count; i++) if (!isMarker(this.read(field.kind, field.offset + i * field.size), marker)) return false;
    return true;
  }

  private due(frame: RawFrame, timeMs: number, interval: number): boolean {
    const key = frame.msgid * 65536 + frame.sysid * 256 + frame.compid;
    const next = this.nextDue.get(key);
    if (next !== undefined && timeMs < next) return false;
    // Step the schedule by whole intervals so jitter does not lower the rate; restart it after a gap.
    this.nextDue.set(key, next === undefined || timeMs - next > interval ? timeMs + interval : next + interval);
    return true;
  }

  private heartbeatEvents(frame: RawFrame, timestamp: number | undefined, system: string, component: string, out: PointInput[]) {
    const view = this.view;
    const hb = {
      customMode: view.getUint32(0, true),
      type: view.getUint8(4),
      autopilot: view.getUint8(5),
      baseMode: view.getUint8(6),
      systemStatus: view.getUint8(7),
    };
    if (hb.autopilot === MAV_AUTOPILOT_INVALID) return; // a GCS or peripheral: no flight mode
    const tags = { system_id: system, component_id: component };
    out.push({ metric: "heartbeat.armed", value: hb.baseMode & MAV_MODE_FLAG_SAFETY_ARMED ? 1 : 0, timestamp, tags: { ...tags } });
    const key = frame.sysid * 256 + frame.compid;
    const mode = modeName(hb);
    const state = stateName(hb.systemStatus);
    const last = this.lastHeartbeat.get(key);
    if (last?.mode !== mode) out.push({ metric: "heartbeat.mode", value: mode, timestamp, tags: { ...tags } });
    if (last?.state !== state) out.push({ metric: "heartbeat.state", value: state, timestamp, tags: { ...tags } });
    this.lastHeartbeat.set(key, { mode, state });
  }

  private tagSeverity(out: PointInput[], from: number) {
    const severity = this.view.getUint8(0);
    for (let i = from; i < out.length; i++) {
      if (out[i].metric === "statustext.text") out[i].tags = { ...out[i].tags, severity: severityName(severity) };
    }
  }

  private compile(msgid: number): MessagePlan | null {
    const message = this.messages.message(msgid);
    if (!message) return null;
    const name = message.name;
    if (this.exclude.has(name) || (this.include && !this.include.has(name))) return null;
    const base = name.toLowerCase();
    let fullLength = 0;
    let baseLength = 0;
    const fields: FieldPlan[] = [];
    for (const field of message.fields) {
      const kind = KINDS[field.type];
      const count = field.length > 0 ? field.length : 1;
      const end = field.offset + field.size * count;
      fullLength = Math.max(fullLength, end);
      if (!field.extension) baseLength = Math.max(baseLength, end);
      if (kind === undefined) {
        this.options.count("unsupported_fields");
        continue;
      }
      const metric = `${base}.${snakeCase(field.name)}`;
      const scaling = scalingFor(field.units, this.options.angles);
      fields.push({
        kind,
        offset: field.offset,
        size: field.size,
        count: kind === Kind.Text ? field.size * count : count,
        extension: field.extension,
        metrics: kind === Kind.Text || count === 1 ? [metric] : Array.from({ length: count }, (_, i) => `${metric}.${i}`),
        mul: scaling.mul,
        div: scaling.div,
        unit: scaling.unit || undefined,
        invalid: field.invalid ? parseInvalidMarker(field.invalid) : undefined,
        floatArray: kind === Kind.F32 || kind === Kind.F64,
      });
    }
    const hz = this.options.rates[name];
    return {
      name,
      fields,
      fullLength,
      baseLength,
      special: name === "HEARTBEAT" ? "heartbeat" : name === "STATUSTEXT" ? "statustext" : undefined,
      minIntervalMs: hz && hz > 0 ? 1000 / hz : 0,
    };
  }
}

/**
 * A field name of the XML in lower snake case. Most are already (`relative_alt`); a few are camelCase
 * (`CAMERA_SETTINGS.zoomLevel`, `AHRS.omegaIx`, uAvionix's `baroAltMSL`): a word break goes where a
 * lower-case letter meets an upper-case one, so `zoomLevel` → `zoom_level`, `baroAltMSL` →
 * `baro_alt_msl`, while acronyms and digits stay whole (`EAS2TAS` → `eas2tas`, `I2Cerr` → `i2cerr`).
 */
export function snakeCase(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}
