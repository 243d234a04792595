/**
 * The gateway's point rules (PLEXUS-PROTOCOL.md), applied before a point is queued: one invalid
 * point makes the gateway drop a whole frame, so nothing that would fail them may leave here.
 */
import type { QueuedPoint } from "./batch-source.js";
import type { PointInput } from "./point.js";
import { quotedBytes } from "./point-json.js";

export const LIMITS = {
  metricBytes: 256,
  stringBytes: 256,
  eventJsonBytes: 4096,
  tagCount: 16,
  tagBytes: 256,
} as const;

/** An adapter's static tags, checked once when the adapter is registered. */
export interface StaticTags {
  tags: Readonly<Record<string, string>>;
  count: number;
  bytes: number;
}

/** Checks static tags with the same rules as a point's; throws with the reason. */
export function prepareStaticTags(tags: Record<string, string> | undefined): StaticTags | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  for (const [key, value] of Object.entries(tags)) {
    const problem = tagProblem(key, value);
    if (problem) throw new Error(problem);
  }
  const bytes = TAGS_FIELD + Buffer.byteLength(JSON.stringify(tags));
  const count = Object.keys(tags).length;
  if (count > LIMITS.tagCount) throw new Error(`${count} tags (max ${LIMITS.tagCount})`);
  return { tags: Object.freeze({ ...tags }), count, bytes };
}

function tagProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `tag ${key} must be a string`;
  const keyBytes = utf8Bytes(key);
  if (keyBytes > LIMITS.tagBytes) return `tag key ${key.slice(0, 32)}… is ${keyBytes} bytes (max ${LIMITS.tagBytes})`;
  const valueBytes = utf8Bytes(value);
  if (valueBytes > LIMITS.tagBytes) return `tag ${key} value is ${valueBytes} bytes (max ${LIMITS.tagBytes})`;
  return undefined;
}

/** Where a point is going and what the core adds to it. */
export interface Stamping {
  prefix: string;
  /** Static tags of the adapter, merged under the point's own. Shared, never mutated. */
  tags: StaticTags | undefined;
  /** Monotonic ms for points without their own timestamp. */
  mono: number;
  sessionId: string | undefined;
  /**
   * The adapter's metric names, prefixed and measured once: the same string object for every
   * point, so later hashing (caches, maps) does not rebuild it.
   */
  names: Map<string, MetricName>;
}

export interface MetricName {
  metric: string;
  bytes: number;
  jsonBytes: number;
  /** The latest valid point of this name: the status page's "latest value", at the cost of one store per point. */
  last: QueuedPoint | undefined;
}

const METRIC_NAMES_MAX = 20_000;

export interface Validated {
  point: QueuedPoint;
  /** Upper estimate of the point's JSON bytes on the wire. */
  bytes: number;
}

/** Bytes of a string in UTF-8, fast for the common ASCII case. */
export function utf8Bytes(text: string): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no exact count for a limit.
  return text.length * 3 <= 256 ? text.length : Buffer.byteLength(text);
}

// JSON of a point with a 13-digit timestamp: {"class":"metric","metric":"","value":,"timestamp":1755700000123}
const FIXED_BYTES = 72;
// The longest `String(number)` is 25 characters ("-0.0000012345678901234567").
const NUMBER_BYTES = 25;
/** `,"tags":` */
const TAGS_FIELD = 8;
/** `,"session_id":` as a tag and as a field. */
const SESSION_TAG = 14;
const SESSION_FIELD = 14;

/** Returns the queued point or, when the gateway would reject it, the reason. */
export function validatePoint(input: PointInput, stamping: Stamping): Validated | string {
  if (input === null || typeof input !== "object") return "point is not an object";
  const rawMetric = input.metric;
  if (typeof rawMetric !== "string" || rawMetric.length === 0) return "metric must be a non-empty string";
  let name = stamping.names.get(rawMetric);
  if (name === undefined) {
    const full = stamping.prefix === "" ? rawMetric : stamping.prefix + rawMetric;
    name = { metric: full, bytes: utf8Bytes(full), jsonBytes: quotedBytes(full), last: undefined };
    if (stamping.names.size >= METRIC_NAMES_MAX) stamping.names.clear();
    stamping.names.set(rawMetric, name);
  }
  const metric = name.metric;
  if (name.bytes > LIMITS.metricBytes) return `metric is ${name.bytes} bytes (max ${LIMITS.metricBytes})`;
  let bytes = FIXED_BYTES + name.jsonBytes;

  const value = input.value;
  let pointClass: "metric" | "event";
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) return `value ${value} is not a finite number`;
      pointClass = "metric";
      bytes += NUMBER_BYTES;
      break;
    case "string": {
      const valueBytes = utf8Bytes(value);
      if (valueBytes > LIMITS.stringBytes) return `string value is ${valueBytes} bytes (max ${LIMITS.stringBytes})`;
      pointClass = "event";
      // Escapes can grow a string on the wire sixfold ("\u0000"): measure its JSON.
      bytes += Buffer.byteLength(JSON.stringify(value));
      break;
    }
    case "boolean":
      pointClass = "event";
      bytes += 5;
      break;
    case "object": {
      if (value === null) return "value is null";
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (error) {
        return `value cannot be serialised: ${(error as Error).message}`;
      }
      const jsonBytes = Buffer.byteLength(json);
      if (jsonBytes > LIMITS.eventJsonBytes) return `object value is ${jsonBytes} bytes of JSON (max ${LIMITS.eventJsonBytes})`;
      pointClass = "event";
      bytes += jsonBytes;
      break;
    }
    case "undefined":
      return "value is missing";
    default:
      return `value of type ${typeof value} is not allowed`;
  }

  let timestamp: number;
  let mono = false;
  if (input.timestamp === undefined) {
    timestamp = stamping.mono;
    mono = true;
  } else {
    timestamp = input.timestamp;
    if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return "timestamp must be a finite number";
    // The gateway reads a value below 1e12 as seconds: a source that sends seconds is a bug, not data.
    if (timestamp < 1e12) return `timestamp ${timestamp} is not epoch milliseconds`;
  }

  const fixed = stamping.tags;
  let tags: Record<string, string> | undefined = fixed?.tags;
  let tagCount = fixed ? fixed.count : 0;
  if (fixed) bytes += fixed.bytes;
  const own = input.tags;
  if (own !== undefined) {
    if (own === null || typeof own !== "object" || Array.isArray(own)) return "tags must be an object";
    let ownCount = 0;
    for (const key in own) {
      const problem = tagProblem(key, own[key]);
      if (problem) return problem;
      ownCount++;
      if (!fixed || !(key in fixed.tags)) tagCount++;
    }
    if (ownCount > 0) {
      tags = fixed ? { ...fixed.tags, ...own } : own;
      // The merged object is at most the static JSON plus the point's own.
      bytes += Buffer.byteLength(JSON.stringify(own)) + (fixed ? 0 : TAGS_FIELD);
    }
  }
  if (stamping.sessionId !== undefined) {
    if (!tags || !("session_id" in tags)) tagCount++;
    tags = { ...tags, session_id: stamping.sessionId };
    bytes += SESSION_TAG + quotedBytes(stamping.sessionId);
  }
  if (tagCount > LIMITS.tagCount) return `${tagCount} tags (max ${LIMITS.tagCount})`;

  if (stamping.sessionId !== undefined) bytes += SESSION_FIELD + quotedBytes(stamping.sessionId);
  // Every field in one literal, absent ones undefined: one hidden class for all points, and no
  // property added later, which would give each queued point a second, out-of-object store.
  const point: QueuedPoint = {
    class: pointClass,
    metric,
    value,
    timestamp,
    tags: tags as Record<string, string> | undefined,
    session_id: stamping.sessionId,
    mono: mono ? true : undefined,
  };
  name.last = point;
  return { point, bytes };
}
