/**
 * A point's JSON, written by hand: metric names and tag objects repeat endlessly (static tags are
 * one shared object per adapter), so their JSON is cached, and JSON.stringify runs only for what
 * is new. Used on the two hot paths that serialise points: the spool and the uplink's frames.
 */
import type { QueuedPoint } from "./batch-source.js";

const quotedCache = new Map<string, string>();
const QUOTED_CACHE_MAX = 50_000;
const tagsCache = new WeakMap<object, string>();

export function quoted(text: string): string {
  let json = quotedCache.get(text);
  if (json === undefined) {
    if (quotedCache.size >= QUOTED_CACHE_MAX) quotedCache.clear();
    json = JSON.stringify(text);
    quotedCache.set(text, json);
  }
  return json;
}

const bytesCache = new Map<string, number>();

/** UTF-8 bytes of a string's JSON (quotes and escapes included), cached like `quoted`. */
export function quotedBytes(text: string): number {
  let bytes = bytesCache.get(text);
  if (bytes === undefined) {
    if (bytesCache.size >= QUOTED_CACHE_MAX) bytesCache.clear();
    bytes = Buffer.byteLength(quoted(text));
    bytesCache.set(text, bytes);
  }
  return bytes;
}

export function tagsJson(tags: Record<string, string>): string {
  // Only the frozen static-tag objects are shared across points; a merged object is seen once.
  if (!Object.isFrozen(tags)) return JSON.stringify(tags);
  let json = tagsCache.get(tags);
  if (json === undefined) {
    json = JSON.stringify(tags);
    tagsCache.set(tags, json);
  }
  return json;
}

/**
 * `timestamp` is what goes on the wire (the uplink maps monotonic stamps first); `keepMono`
 * writes the `mono` flag too, for the spool, which must know the stamp is still monotonic.
 */
export function pointJson(point: QueuedPoint, timestamp: number, keepMono = false): string {
  const value = typeof point.value === "number" ? String(point.value) : JSON.stringify(point.value);
  let json = `{"class":"${point.class}","metric":${quoted(point.metric)},"value":${value},"timestamp":${timestamp}`;
  if (point.tags !== undefined) json += `,"tags":${tagsJson(point.tags)}`;
  if (point.session_id !== undefined) json += `,"session_id":${quoted(point.session_id)}`;
  if (keepMono && point.mono) json += `,"mono":true`;
  return `${json}}`;
}

/**
 * The spool's row format: an array of `[metric, value, timestamp, mono, tags?, session_id?]`,
 * half the bytes of the wire form (the class follows from the value: numbers are metrics), so
 * half the disk writes. `mono` is 1 when the timestamp is still monotonic.
 */
export function spoolJson(points: readonly QueuedPoint[]): string {
  let json = "[";
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    const value = typeof point.value === "number" ? String(point.value) : JSON.stringify(point.value);
    if (i > 0) json += ",";
    json += `[${quoted(point.metric)},${value},${point.timestamp},${point.mono ? 1 : 0}`;
    if (point.tags !== undefined || point.session_id !== undefined) json += `,${point.tags === undefined ? "null" : tagsJson(point.tags)}`;
    if (point.session_id !== undefined) json += `,${quoted(point.session_id)}`;
    json += "]";
  }
  return `${json}]`;
}

type SpoolTuple = [string, QueuedPoint["value"], number, 0 | 1, Record<string, string> | null | undefined, string | undefined];

export function parseSpoolJson(text: string): QueuedPoint[] {
  const tuples = JSON.parse(text) as SpoolTuple[];
  const points = new Array<QueuedPoint>(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const [metric, value, timestamp, mono, tags, session] = tuples[i];
    const point: QueuedPoint = { class: typeof value === "number" ? "metric" : "event", metric, value, timestamp };
    if (tags) point.tags = tags;
    if (session !== undefined) point.session_id = session;
    if (mono === 1) point.mono = true;
    points[i] = point;
  }
  return points;
}
