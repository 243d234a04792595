/**
 * Polls one device (unit id) on a link: plans its reads, runs them at its interval, decodes the
 * answers and emits one batch per poll. A device that stops answering is marked down and retried
 * with backoff while the other devices on the link keep their schedule. Exceptions are counted per
 * point and reported once; a merged read that hits an illegal address is split so the rest of the
 * map keeps flowing.
 */
import type { AdapterContext } from "../../src/adapter-contract.js";
import { Backoff, sleep, untilAborted } from "../../src/backoff.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { type DecodedValue, decodeRegisters } from "./decode.js";
import { LinkDownError, ModbusExceptionError, ModbusTimeoutError } from "./errors.js";
import type { DeviceOptions } from "./options.js";
import { type PlannedRead, type PlanOptions, planReads, sliceFor } from "./planner.js";
import type { RegisterPoint } from "./register-map.js";
import { discoverSunSpec } from "./sunspec/discovery.js";
import type { ModbusLink } from "./transport.js";
import { toPointValue } from "./values.js";

export interface DeviceEvents {
  deviceState(device: DevicePoller, up: boolean, reason: string): void;
  exceptionReported(device: DevicePoller, detail: string): void;
}

export interface PollerSettings {
  intervalMs: number;
  plan: Omit<PlanOptions, "maxRegisters" | "maxBits" | "isolated">;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export class DevicePoller {
  readonly label: string;
  private interval: number;
  /** Cuts the sleep to the next tick short when the interval changes. */
  private wake: AbortController | undefined;
  private lastPollAt: number | undefined;
  private points: RegisterPoint[];
  private plan: PlannedRead[] = [];
  private readonly isolated = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly lastEvent = new Map<string, string | boolean>();
  private sunspecPending: boolean;
  private readonly retryBackoff: Backoff;
  private downUntil = 0;
  up: boolean | undefined;
  /** Requests of the last complete poll (for the benchmark and tests). */
  lastPollRequests = 0;
  polls = 0;

  constructor(
    readonly device: DeviceOptions,
    points: RegisterPoint[],
    private readonly link: ModbusLink,
    private readonly ctx: AdapterContext,
    private readonly settings: PollerSettings,
    private readonly events: DeviceEvents,
  ) {
    this.label = device.name ?? `unit${device.unit_id}`;
    this.interval = device.interval ?? settings.intervalMs;
    this.retryBackoff = new Backoff({ initialMs: settings.reconnectMinMs, maxMs: settings.reconnectMaxMs });
    this.points = this.fitting(points);
    this.sunspecPending = device.sunspec;
    this.replan();
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** Runtime change (configure): applies to the tick being waited for, not only to the one after it. */
  set intervalMs(ms: number) {
    this.interval = ms;
    this.wake?.abort();
  }

  /** The metrics this device emits (SunSpec ones once discovery ran). */
  get metricNames(): string[] {
    return this.points.filter((p) => !p.hidden).map((p) => (this.device.name ? `${this.device.name}.${p.name}` : p.name));
  }

  get readPlan(): readonly PlannedRead[] {
    return this.plan;
  }

  private replan(): void {
    this.plan = planReads(this.points, {
      ...this.settings.plan,
      maxRegisters: this.device.max_registers_per_read,
      maxBits: this.device.max_bits_per_read,
      isolated: this.isolated,
    });
  }

  /** Polls at the interval until `signal` aborts; never overlaps itself, counts the ticks it misses. */
  async run(signal: AbortSignal): Promise<void> {
    const now = () => this.ctx.clock.monotonicMs();
    let next = now();
    while (!signal.aborted) {
      const wait = next - now();
      if (wait > 0 && (await this.sleepUnlessWoken(wait, signal))) {
        // The interval changed while waiting: the next tick counts from the last poll.
        if (this.lastPollAt !== undefined) next = Math.min(next, this.lastPollAt + Math.max(1, this.interval));
        continue;
      }
      if (signal.aborted) return;
      if (!this.link.isUp) {
        await untilAborted(this.link.whenUp(), signal);
        next = now();
        continue;
      }
      if (this.downUntil > now()) {
        next = this.downUntil;
        continue;
      }
      this.lastPollAt = now();
      const batch = await this.pollOnce();
      if (batch && batch.length > 0 && !signal.aborted) {
        if (!this.ctx.emit(batch)) await untilAborted(this.ctx.drained(), signal);
      }
      // A zero interval means "as fast as the device answers"; guard the tick arithmetic against it.
      const step = Math.max(1, this.intervalMs);
      next += step;
      let missed = 0;
      const current = now();
      if (next <= current) {
        missed = Math.floor((current - next) / step) + 1;
        next += missed * step;
      }
      if (missed > 0) this.ctx.count("missed_ticks", missed);
    }
  }

  /** Sleeps `ms`; true when cut short by an interval change (not by `signal`). */
  private async sleepUnlessWoken(ms: number, signal: AbortSignal): Promise<boolean> {
    const wake = new AbortController();
    this.wake = wake;
    const stop = () => wake.abort();
    signal.addEventListener("abort", stop, { once: true });
    try {
      await sleep(ms, wake.signal);
    } finally {
      signal.removeEventListener("abort", stop);
      if (this.wake === wake) this.wake = undefined;
    }
    return wake.signal.aborted && !signal.aborted;
  }

  /** One poll: every planned read, then one batch. Undefined when the device or link failed. */
  async pollOnce(): Promise<PointInput[] | undefined> {
    try {
      if (this.sunspecPending) await this.discover();
      const raw = new Map<string, DecodedValue>();
      let requests = 0;
      for (const read of [...this.plan]) requests += await this.runRead(read, raw);
      this.lastPollRequests = requests;
      this.polls++;
      this.markUp();
      return this.toPoints(raw);
    } catch (error) {
      if (error instanceof ModbusTimeoutError) this.markDown(error.message);
      else if (!(error instanceof LinkDownError)) throw error;
      return undefined;
    }
  }

  private async runRead(read: PlannedRead, raw: Map<string, DecodedValue>): Promise<number> {
    let data: number[] | boolean[];
    try {
      data = await this.read(read.table, read.address, read.count);
    } catch (error) {
      if (!(error instanceof ModbusExceptionError)) throw error;
      const addressProblem = error.code === 2 || error.code === 3;
      if (addressProblem && read.points.length > 1) {
        // One bad register spoils a merged read: read these points on their own from now on.
        for (const point of read.points) this.isolated.add(point.name);
        this.ctx.count("reads_split");
        this.replan();
        let requests = 1;
        for (const single of this.plan.filter((r) => r.points.length === 1 && read.points.includes(r.points[0])))
          requests += await this.runRead(single, raw);
        return requests;
      }
      for (const point of read.points) this.exception(point, error);
      return 1;
    }
    for (const point of read.points) {
      const slice: (number | boolean)[] = sliceFor<number | boolean>(read, point, data);
      const first = slice[0];
      const value =
        typeof first === "boolean" ? first : decodeRegisters(slice as number[], point.type, point.byteOrder, point.bit, point.length);
      raw.set(point.name, value);
    }
    return 1;
  }

  /** One read of this device. A gateway saying the device behind it did not answer (10, 11) is a timeout, not a bad register. */
  private async read(table: RegisterPoint["table"], address: number, count: number): Promise<number[] | boolean[]> {
    try {
      return await this.link.read(this.device.unit_id, table, address, count);
    } catch (error) {
      if (error instanceof ModbusExceptionError && (error.code === 10 || error.code === 11))
        throw new ModbusTimeoutError(`gateway: ${error.message}`);
      throw error;
    }
  }

  /**
   * Leaves out (with one warning) points that no read of this device can hold: a SunSpec string of
   * 16 or 32 registers on a device limited to fewer. Inline points are refused at validation already.
   */
  private fitting(points: RegisterPoint[]): RegisterPoint[] {
    const limitOf = (p: RegisterPoint) =>
      p.table === "coil" || p.table === "discrete" ? this.device.max_bits_per_read : this.device.max_registers_per_read;
    const tooLarge = points.filter((p) => p.size > limitOf(p));
    if (tooLarge.length === 0) return points;
    this.ctx.log.warn("points larger than max_registers_per_read left out", {
      device: this.label,
      max_registers_per_read: this.device.max_registers_per_read,
      points: tooLarge.map((p) => `${p.name} (${p.size})`).join(", "),
    });
    this.ctx.count("points_too_large", tooLarge.length);
    return points.filter((p) => p.size <= limitOf(p));
  }

  private exception(point: RegisterPoint, error: ModbusExceptionError): void {
    this.ctx.count("exceptions");
    this.ctx.count(`exceptions.${this.label}.${point.name}`);
    const key = `${point.name}:${error.code}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const detail = `${this.label} ${point.name} (${point.table} ${point.address}): ${error.message}`;
    // The code's name in the line itself: "2 illegal data address" says what to fix in the map.
    this.ctx.log.warn(`exception response ${error.described}`, {
      device: this.label,
      point: point.name,
      table: point.table,
      address: point.address,
      code: error.code,
    });
    this.events.exceptionReported(this, detail);
  }

  private toPoints(raw: Map<string, DecodedValue>): PointInput[] {
    const out: PointInput[] = [];
    const baseTags: Record<string, string> = { ...this.device.tags, unit_id: String(this.device.unit_id) };
    for (const point of this.points) {
      if (point.hidden) continue;
      const value = raw.get(point.name);
      if (value === undefined) continue;
      const result = toPointValue(point, value, raw);
      if (result.kind === "skip") continue;
      if (result.kind === "bad") {
        this.ctx.count(result.counter);
        continue;
      }
      const metric = this.device.name ? `${this.device.name}.${point.name}` : point.name;
      if (typeof result.value !== "number") {
        // Labels, strings and booleans are events: sent when they change, not every poll.
        if (this.lastEvent.get(point.name) === result.value) continue;
        this.lastEvent.set(point.name, result.value);
      }
      const tags = point.unit ? { ...baseTags, unit: point.unit } : baseTags;
      out.push({ metric, value: result.value, tags });
    }
    return out;
  }

  private async discover(): Promise<void> {
    const found = await discoverSunSpec((address, count) => this.read("holding", address, count) as Promise<number[]>);
    this.sunspecPending = false;
    if (!found) {
      this.ctx.log.warn("no SunSpec marker found at 40000, 0 or 50000", { device: this.label });
      this.ctx.count("sunspec_not_found");
      return;
    }
    const names = new Set(this.points.map((p) => p.name));
    this.points = [...this.points, ...this.fitting(found.points.filter((p) => !names.has(p.name)))];
    this.ctx.log.info("SunSpec models found", {
      device: this.label,
      base: found.base,
      models: found.models.map((m) => m.id).join(","),
      points: found.points.filter((p) => !p.hidden).length,
    });
    if (found.unknown.length > 0)
      this.ctx.log.info("SunSpec models not read (no definition)", { device: this.label, models: found.unknown.join(",") });
    this.replan();
  }

  private markUp(): void {
    this.retryBackoff.reset();
    this.downUntil = 0;
    if (this.up === true) return;
    const wasDown = this.up === false;
    this.up = true;
    // The first answer changes nothing worth a status report ("link up" said it); a recovery does.
    if (!wasDown) return;
    // Events are re-sent after an outage so the state after it is known.
    this.lastEvent.clear();
    this.ctx.log.info("device answering again", { device: this.label });
    this.events.deviceState(this, true, "answering");
  }

  private markDown(reason: string): void {
    const delay = this.retryBackoff.next();
    this.downUntil = this.ctx.clock.monotonicMs() + delay;
    this.ctx.count("device_timeouts");
    if (this.up === false) return;
    this.up = false;
    this.ctx.log.warn("device not answering, marked down", {
      device: this.label,
      unit_id: this.device.unit_id,
      reason,
      retry_in_ms: Math.round(delay),
    });
    this.events.deviceState(this, false, reason);
  }
}
