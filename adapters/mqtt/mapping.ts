/**
 * One subscription's payloads → points, for the json, value, influx and raw formats (Sparkplug
 * keeps state across messages and lives in sparkplug/host.ts). Pure: compiled once from the
 * subscription's options, then called per message. A payload that does not parse throws
 * MalformedPayload; the adapter counts it and logs it, rate-limited.
 */

import { isUtf8 } from "node:buffer";
import { createJsonFlattener, JsonShapeError, parseTimestamp, valueAtPath } from "../../src/decoding/json-fields.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { type InfluxFieldValue, parseInflux } from "./influx.js";
import type { SubscriptionOptions } from "./options.js";
import { pathTemplate, Template, type TemplateValues } from "./template.js";

export class MalformedPayload extends Error {}

/** Counts by name (bad timestamps, integers beyond 2^53…), as ctx.count does. */
export type Counter = (name: string, n?: number) => void;

export type PayloadMapper = (topic: string, payload: Uint8Array) => PointInput[];

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const PRECISION_TO_MS: Record<string, bigint> = { ns: 1_000_000n, us: 1000n, ms: 1n, s: 0n };

const DEFAULT_METRIC: Record<string, string> = {
  json: "{topic}.{path}",
  value: "{topic}",
  raw: "{topic}",
  influx: "{measurement}.{field}",
};

/** What depends on the topic alone, worked out once per topic. */
interface TopicContext {
  values: TemplateValues;
  tags: Record<string, string> | undefined;
  /** The metric name of a leaf path (json), or of the message (value, raw; the path is ignored). */
  name: (path: string) => string;
}

/** Topics remembered per subscription; a fleet with more distinct topics just renders more often. */
const TOPIC_CACHE_SIZE = 10_000;

export function createMapper(sub: SubscriptionOptions, count: Counter): PayloadMapper {
  const metric = new Template(sub.metric ?? DEFAULT_METRIC[sub.format]);
  const tagTemplates = Object.entries(sub.tags ?? {}).map(([key, text]) => [key, new Template(text)] as const);
  const tagsFor = (values: TemplateValues): Record<string, string> | undefined => {
    if (tagTemplates.length === 0) return undefined;
    const tags: Record<string, string> = {};
    for (const [key, template] of tagTemplates) tags[key] = template.render(values);
    return tags;
  };
  const decode = formatDecoder(sub, metric, count);
  const contexts = new Map<string, TopicContext>();
  return (topic, payload) => {
    let context = contexts.get(topic);
    if (!context) {
      if (contexts.size >= TOPIC_CACHE_SIZE) contexts.clear();
      const values: TemplateValues = { levels: topic.split("/"), dottedTopic: topic.replaceAll("/", ".") };
      context = { values, tags: tagsFor(values), name: pathTemplate(metric, values) };
      contexts.set(topic, context);
    }
    return decode(payload, context);
  };
}

type Decoder = (payload: Uint8Array, context: TopicContext) => PointInput[];

function formatDecoder(sub: SubscriptionOptions, metric: Template, count: Counter): Decoder {
  switch (sub.format) {
    case "json":
      return jsonDecoder(sub, count);
    case "value":
      return (payload, { name, tags }) => {
        const text = textOf(payload).trim();
        if (text === "") {
          // An empty retained message clears the retained value: nothing to read, not an error.
          count("empty_payloads");
          return [];
        }
        return [withTags({ metric: name(""), value: scalarValue(text, sub.booleans) }, tags)];
      };
    case "raw":
      return (payload, { name, tags }) => {
        const encoded = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString(sub.encoding);
        return [withTags({ metric: name(""), value: encoded }, tags)];
      };
    case "influx":
      return influxDecoder(sub, metric, count);
    default:
      throw new Error(`format ${sub.format} has no payload mapper`);
  }
}

function jsonDecoder(sub: SubscriptionOptions, count: Counter): Decoder {
  const timestamp = sub.timestamp;
  const flatten = createJsonFlattener({
    fields: sub.fields,
    skip: timestamp ? [timestamp.field] : undefined,
    numericStrings: sub.numeric_strings,
    booleans: sub.booleans,
  });
  return (payload, { name, tags }) => {
    let document: unknown;
    try {
      document = JSON.parse(textOf(payload));
    } catch (error) {
      throw new MalformedPayload(error instanceof MalformedPayload ? error.message : `not JSON: ${(error as Error).message}`);
    }
    let leaves: ReturnType<typeof flatten>;
    try {
      leaves = flatten(document);
    } catch (error) {
      if (error instanceof JsonShapeError) throw new MalformedPayload(error.message);
      throw error;
    }
    let ms: number | undefined;
    if (timestamp) {
      ms = parseTimestamp(valueAtPath(document, timestamp.field), timestamp.format);
      if (ms === undefined) count("bad_timestamps");
    }
    const points = new Array<PointInput>(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const point: PointInput = { metric: name(leaves[i].path), value: leaves[i].value };
      if (ms !== undefined) point.timestamp = ms;
      if (tags) point.tags = tags;
      points[i] = point;
    }
    return points;
  };
}

function influxDecoder(sub: SubscriptionOptions, metric: Template, count: Counter): Decoder {
  const factor = PRECISION_TO_MS[sub.precision];
  return (payload, { values, tags }) => {
    const { lines, errors } = parseInflux(textOf(payload));
    const points: PointInput[] = [];
    for (const line of lines) {
      values.measurement = line.measurement;
      const lineTags = Object.keys(line.tags).length > 0 ? { ...line.tags, ...tags } : tags;
      let timestamp: number | undefined;
      if (line.timestamp !== undefined) timestamp = factor === 0n ? Number(line.timestamp) * 1000 : Number(line.timestamp) / Number(factor);
      for (const [field, value] of Object.entries(line.fields)) {
        values.field = field;
        const point: PointInput = { metric: metric.render(values), value: influxValue(value, sub.booleans, count) };
        if (timestamp !== undefined) point.timestamp = timestamp;
        if (lineTags) point.tags = lineTags;
        points.push(point);
      }
    }
    if (errors.length > 0) {
      count("influx_bad_lines", errors.length);
      const first = errors[0];
      const detail = `line ${first.line}:${first.column}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more bad lines)` : ""}`;
      // The good lines still count: a bad line never hides the others.
      throw new MalformedPayload(detail, { cause: points });
    }
    return points;
  };
}

/** The points a malformed influx payload still yielded from its good lines. */
export function salvagedPoints(error: MalformedPayload): PointInput[] {
  return Array.isArray(error.cause) ? (error.cause as PointInput[]) : [];
}

function influxValue(field: InfluxFieldValue, booleans: "metric" | "event", count: Counter): PointInput["value"] {
  switch (field.type) {
    case "int":
    case "uint": {
      const value = field.value;
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
        count("integers_beyond_2^53");
        return value.toString();
      }
      return Number(value);
    }
    case "bool":
      return booleans === "event" ? field.value : field.value ? 1 : 0;
    default:
      return field.value;
  }
}

/** value format: a number, true/false, or text (an event). */
export function scalarValue(text: string, booleans: "metric" | "event"): PointInput["value"] {
  if (NUMBER.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === "true" || lower === "false") return booleans === "event" ? lower === "true" : lower === "true" ? 1 : 0;
  return text;
}

function textOf(payload: Uint8Array): string {
  if (!isUtf8(payload)) throw new MalformedPayload("not UTF-8 text");
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8");
}

function withTags(point: PointInput, tags: Record<string, string> | undefined): PointInput {
  if (tags) point.tags = tags;
  return point;
}
