/**
 * Telemetry frames written straight into bytes. Building a frame as a string and then
 * `Buffer.from` it cost more than anything else the bridge did per point: a rope of several
 * strings per point, flattened and transcoded once more at the end, and garbage for all of it.
 * Here each point's constant head (`{"class":…,"metric":…,"value":`) is cached as bytes per
 * metric name, numbers are written digit by digit from their string form, and nothing else is
 * allocated per point. Each point's bytes are exactly those of `pointJson` (point-json.ts, the
 * spool's encoder), which the tests compare them with. WebSocket frames and HTTP bodies alike.
 */
import type { BridgeClock } from "../clock.js";
import type { QueuedPoint } from "../pipeline/batch-source.js";
import { quoted, tagsJson } from "../pipeline/point-json.js";
import { MAX_NUMBER_CHARS, writeNumber } from "./number-bytes.js";
import { wallOffset } from "./protocol.js";

const FRAME_HEAD = Buffer.from('{"type":"telemetry","points":[');
const TIMESTAMP_KEY = Buffer.from(',"timestamp":');
const TAGS_KEY = ',"tags":';
const SESSION_KEY = ',"session_id":';
/** A first guess at a point's bytes; the buffer grows if a frame needs more. */
const POINT_BYTES_GUESS = 128;

const HEADS_MAX = 50_000;
const metricHeads = new Map<string, Buffer>();
const eventHeads = new Map<string, Buffer>();

/** `{"class":"metric","metric":"<name>","value":` as bytes, cached per name and class. */
function pointHead(point: QueuedPoint): Buffer {
  const cache = point.class === "metric" ? metricHeads : eventHeads;
  let head = cache.get(point.metric);
  if (head === undefined) {
    if (cache.size >= HEADS_MAX) cache.clear();
    head = Buffer.from(`{"class":"${point.class}","metric":${quoted(point.metric)},"value":`);
    cache.set(point.metric, head);
  }
  return head;
}

class FrameWriter {
  buf: Buffer;
  at = 0;

  /** `reuse`: a buffer whose earlier contents are done with (written out), used when big enough. */
  constructor(capacity: number, reuse?: Buffer) {
    this.buf = reuse !== undefined && reuse.length >= capacity ? reuse : Buffer.allocUnsafe(capacity);
  }

  /** Room for `bytes` more. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  bytes(source: Uint8Array): void {
    this.reserve(source.length);
    this.buf.set(source, this.at);
    this.at += source.length;
  }

  /** Any string, as UTF-8; short ASCII (numbers, most JSON) is copied by hand, faster than a native call. */
  text(text: string): void {
    const n = text.length;
    this.reserve(n * 3); // a UTF-16 unit is at most 3 bytes of UTF-8
    const buf = this.buf;
    const start = this.at;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        this.at = start + buf.write(text, start, "utf8");
        return;
      }
      buf[start + i] = c;
    }
    this.at = start + n;
  }

  number(value: number): void {
    this.reserve(MAX_NUMBER_CHARS);
    this.at = writeNumber(this.buf, this.at, value);
  }

  /** Bytes [start, end) written earlier, again. */
  again(start: number, end: number): void {
    this.reserve(end - start);
    const buf = this.buf;
    let at = this.at;
    for (let i = start; i < end; i++) buf[at++] = buf[i];
    this.at = at;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.at++] = c;
  }
}

/** The WebSocket telemetry frame for points[from, to). */
export function encodeTelemetryFrame(points: readonly QueuedPoint[], clock: BridgeClock, from = 0, to = points.length): Buffer {
  return new FrameEncoding(FRAME_HEAD, points, clock, from, to).finish();
}

/** The `POST /ingest` body for points[from, to) of one source (none: the cheap key check). */
export function encodeIngestBody(
  sourceId: string,
  points: readonly QueuedPoint[],
  clock: BridgeClock,
  from = 0,
  to = points.length,
): Buffer {
  return ingestBodyEncoding(sourceId, points, clock, from, to).finish();
}

/** The `POST /ingest` body, to encode in slices (`finishInSlices`). */
export function ingestBodyEncoding(sourceId: string, points: readonly QueuedPoint[], clock: BridgeClock, from: number, to: number) {
  return new FrameEncoding(Buffer.from(`{"source_id":${quoted(sourceId)},"points":[`), points, clock, from, to);
}

/**
 * Points encoded before the event loop gets a turn (well under a millisecond): datagrams, CAN
 * frames and pongs are handled between slices, so a 10,000-point frame never holds the loop long.
 */
export const ENCODE_SLICE_POINTS = 1000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Finishes `encoding` ENCODE_SLICE_POINTS at a time, with a turn of the event loop between
 * slices; undefined as soon as `wanted()` turns false (the batch was given back meanwhile).
 */
export async function finishInSlices(encoding: FrameEncoding, wanted: () => boolean): Promise<Buffer | undefined> {
  while (!encoding.step(ENCODE_SLICE_POINTS)) {
    await nextTurn();
    if (!wanted()) return undefined;
  }
  return encoding.finish();
}

/**
 * A telemetry frame encoded a slice at a time (`step`), so a large frame never holds the event
 * loop for long; written into `reuse` when it is big enough (a megabyte-sized buffer per frame
 * is what makes V8 collect garbage for "external memory pressure").
 */
export function telemetryFrameEncoding(points: readonly QueuedPoint[], clock: BridgeClock, reuse?: Buffer): FrameEncoding {
  return new FrameEncoding(FRAME_HEAD, points, clock, 0, points.length, reuse);
}

/** `head`, then points[from, to) as a JSON array's items, then `]}`; written in steps or at once. */
export class FrameEncoding {
  private readonly out: FrameWriter;
  /** Wall time − monotonic time, fixed for the whole frame so its points stay consistent. */
  private readonly monoToWall: number;
  private next: number;
  // Points of one emit() share a stamp: its digits are copied from the previous point's.
  private lastTimestamp = Number.NaN;
  private lastStart = 0;
  private lastEnd = 0;
  // Points of one message share their tags object: its JSON is made once.
  private lastTags: Record<string, string> | undefined;
  private lastTagsJson = "";

  constructor(
    head: Uint8Array,
    private readonly points: readonly QueuedPoint[],
    clock: BridgeClock,
    private readonly from: number,
    private readonly to: number,
    reuse?: Buffer,
  ) {
    this.monoToWall = wallOffset(clock);
    this.out = new FrameWriter(head.length + 2 + (to - from) * POINT_BYTES_GUESS, reuse);
    this.out.bytes(head);
    this.next = from;
  }

  get done(): boolean {
    return this.next >= this.to;
  }

  /** Encodes up to `count` more points; true when every point is written. */
  step(count: number): boolean {
    const { out, points, monoToWall } = this;
    const end = Math.min(this.to, this.next + count);
    for (let i = this.next; i < end; i++) {
      const point = points[i];
      if (i > this.from) out.byte(0x2c);
      out.bytes(pointHead(point));
      const value = point.value;
      if (typeof value === "number") out.number(value);
      else out.text(JSON.stringify(value));
      out.bytes(TIMESTAMP_KEY);
      const timestamp = point.mono ? Math.round(point.timestamp + monoToWall) : point.timestamp;
      if (timestamp === this.lastTimestamp) {
        out.again(this.lastStart, this.lastEnd);
      } else {
        this.lastTimestamp = timestamp;
        this.lastStart = out.at;
        out.number(timestamp);
        this.lastEnd = out.at;
      }
      const tags = point.tags;
      if (tags !== undefined) {
        if (tags !== this.lastTags) {
          this.lastTags = tags;
          this.lastTagsJson = tagsJson(tags);
        }
        out.text(TAGS_KEY);
        out.text(this.lastTagsJson);
      }
      if (point.session_id !== undefined) {
        out.text(SESSION_KEY);
        out.text(quoted(point.session_id));
      }
      out.byte(0x7d);
    }
    this.next = end;
    return this.done;
  }

  /** The whole buffer the frame is written in (the frame is its start): to reuse once the frame is sent. */
  get buffer(): Buffer {
    return this.out.buf;
  }

  /** Writes what is left and returns the frame's bytes. */
  finish(): Buffer {
    this.step(this.to - this.next);
    const out = this.out;
    out.byte(0x5d);
    out.byte(0x7d);
    return out.buf.subarray(0, out.at);
  }
}
