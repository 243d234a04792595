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

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
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
  return encodeFrame(FRAME_HEAD, points, clock, from, to);
}

/** The `POST /ingest` body for points[from, to) of one source (none: the cheap key check). */
export function encodeIngestBody(
  sourceId: string,
  points: readonly QueuedPoint[],
  clock: BridgeClock,
  from = 0,
  to = points.length,
): Buffer {
  return encodeFrame(Buffer.from(`{"source_id":${quoted(sourceId)},"points":[`), points, clock, from, to);
}

/** `head`, then points[from, to) as a JSON array's items, then `]}`. */
function encodeFrame(head: Uint8Array, points: readonly QueuedPoint[], clock: BridgeClock, from: number, to: number): Buffer {
  const monoToWall = wallOffset(clock);
  const out = new FrameWriter(head.length + 2 + (to - from) * POINT_BYTES_GUESS);
  out.bytes(head);
  // Points of one emit() share a stamp: its digits are copied from the previous point's.
  let lastTimestamp = Number.NaN;
  let lastStart = 0;
  let lastEnd = 0;
  for (let i = from; i < to; i++) {
    const point = points[i];
    if (i > from) out.byte(0x2c);
    out.bytes(pointHead(point));
    const value = point.value;
    if (typeof value === "number") out.number(value);
    else out.text(JSON.stringify(value));
    out.bytes(TIMESTAMP_KEY);
    const timestamp = point.mono ? Math.round(point.timestamp + monoToWall) : point.timestamp;
    if (timestamp === lastTimestamp) {
      out.again(lastStart, lastEnd);
    } else {
      lastTimestamp = timestamp;
      lastStart = out.at;
      out.number(timestamp);
      lastEnd = out.at;
    }
    if (point.tags !== undefined) {
      out.text(TAGS_KEY);
      out.text(tagsJson(point.tags));
    }
    if (point.session_id !== undefined) {
      out.text(SESSION_KEY);
      out.text(quoted(point.session_id));
    }
    out.byte(0x7d);
  }
  out.byte(0x5d);
  out.byte(0x7d);
  return out.buf.subarray(0, out.at);
}
