/**
 * OPC-UA DataValues → points. Pure: no I/O, no timers, no node-opcua import (the shapes below are
 * the parts of node-opcua's DataValue and Variant this reads, so its objects pass as they are).
 *
 * Numbers are metrics, booleans 0/1, DateTime its epoch ms; strings, LocalizedText and the other
 * text-like types are events; enumerations the value plus a `.label` event; arrays one metric
 * per index up to a limit, one JSON event beyond it; structures (ExtensionObjects) JSON events.
 * A Bad status emits nothing (the caller counts it); an Uncertain one is tagged quality=uncertain.
 */
import type { PointInput } from "../../src/pipeline/point.js";

/** OPC-UA built-in type ids (Part 6, 5.1.2); node-opcua's DataType enum has the same values. */
export const BuiltIn = {
  Null: 0,
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  ByteString: 15,
  XmlElement: 16,
  NodeId: 17,
  ExpandedNodeId: 18,
  StatusCode: 19,
  QualifiedName: 20,
  LocalizedText: 21,
  ExtensionObject: 22,
  DataValue: 23,
  Variant: 24,
  DiagnosticInfo: 25,
} as const;

export interface VariantLike {
  dataType: number;
  /** 0 scalar, 1 array, 2 matrix. */
  arrayType: number;
  value: unknown;
}

export interface DataValueLike {
  value?: VariantLike | null;
  statusCode: { value: number; name: string };
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

export type TimestampChoice = "source" | "server" | "bridge";

/** What a node's values become: its metric name and tags, and the labels of its enumeration. */
export interface NodeTarget {
  name: string;
  tags?: Record<string, string>;
  enumLabels?: ReadonlyMap<number, string>;
}

export interface DecodeOptions {
  timestamps: TimestampChoice;
  arrayLimit: number;
}

export type Decoded = { kind: "points"; points: PointInput[] } | { kind: "bad"; status: string; code: number };

const SEVERITY_MASK = 0xc0000000;
const UNCERTAIN = 0x40000000;
/** OPC-UA DateTime's "null" (1601-01-01) arrives as a date before the Unix epoch. */
const NO_TIME = 0;

export function statusSeverity(code: number): "good" | "uncertain" | "bad" {
  const severity = (code & SEVERITY_MASK) >>> 0;
  if (severity === 0) return "good";
  return severity === UNCERTAIN ? "uncertain" : "bad";
}

export function decodeDataValue(dataValue: DataValueLike, target: NodeTarget, options: DecodeOptions): Decoded {
  const code = dataValue.statusCode.value >>> 0;
  const severity = statusSeverity(code);
  if (severity === "bad") return { kind: "bad", status: dataValue.statusCode.name, code };
  const variant = dataValue.value;
  if (!variant || variant.dataType === BuiltIn.Null || variant.value === null || variant.value === undefined)
    return { kind: "points", points: [] };
  const timestamp = pickTimestamp(dataValue, options.timestamps);
  let tags = target.tags;
  if (severity === "uncertain") tags = { ...tags, quality: "uncertain" };
  const points: PointInput[] = [];
  const push = (metric: string, value: PointInput["value"]) => {
    const point: PointInput = { metric, value };
    if (timestamp !== undefined) point.timestamp = timestamp;
    if (tags) point.tags = tags;
    points.push(point);
  };
  if (variant.arrayType !== 0) {
    const items = Array.from(variant.value as ArrayLike<unknown>, (item) => scalarValue(variant.dataType, item));
    const numeric = items.every((item) => typeof item === "number");
    if (numeric && items.length <= options.arrayLimit) {
      for (const [i, item] of items.entries()) push(`${target.name}.${i}`, item as number);
    } else push(target.name, items as unknown[]);
    return { kind: "points", points };
  }
  const value = scalarValue(variant.dataType, variant.value);
  if (value === undefined) return { kind: "points", points };
  push(target.name, value);
  if (target.enumLabels && typeof value === "number") {
    const label = target.enumLabels.get(value);
    push(`${target.name}.label`, label ?? String(value));
  }
  return { kind: "points", points };
}

function pickTimestamp(dataValue: DataValueLike, choice: TimestampChoice): number | undefined {
  if (choice === "bridge") return undefined;
  const date = choice === "source" ? dataValue.sourceTimestamp : dataValue.serverTimestamp;
  const ms = date?.getTime();
  // No timestamp from the server: the pipeline stamps the point with the bridge's clock.
  return ms !== undefined && Number.isFinite(ms) && ms > NO_TIME ? ms : undefined;
}

/** One scalar as a point value: number, string, or an object for structures. */
export function scalarValue(dataType: number, value: unknown): PointInput["value"] | undefined {
  if (value === null || value === undefined) return undefined;
  switch (dataType) {
    case BuiltIn.Boolean:
      return value ? 1 : 0;
    case BuiltIn.SByte:
    case BuiltIn.Byte:
    case BuiltIn.Int16:
    case BuiltIn.UInt16:
    case BuiltIn.Int32:
    case BuiltIn.UInt32:
    case BuiltIn.Float:
    case BuiltIn.Double:
      return Number(value);
    case BuiltIn.Int64:
    case BuiltIn.UInt64:
      return int64Value(value, dataType === BuiltIn.Int64);
    case BuiltIn.DateTime: {
      const ms = (value as Date).getTime();
      return Number.isFinite(ms) ? ms : undefined;
    }
    case BuiltIn.String:
    case BuiltIn.XmlElement:
    case BuiltIn.Guid:
      return String(value);
    case BuiltIn.ByteString:
      return Buffer.isBuffer(value) ? value.toString("hex") : String(value);
    case BuiltIn.LocalizedText:
      return (value as { text?: string | null }).text ?? undefined;
    case BuiltIn.StatusCode:
      return (value as { name?: string }).name ?? String(value);
    case BuiltIn.NodeId:
    case BuiltIn.ExpandedNodeId:
    case BuiltIn.QualifiedName:
      return String(value);
    case BuiltIn.ExtensionObject:
      return plainJson(value) as Record<string, unknown>;
    case BuiltIn.Variant:
      return scalarValue((value as VariantLike).dataType, (value as VariantLike).value);
    default:
      return plainJson(value) as Record<string, unknown>;
  }
}

/** node-opcua carries 64-bit integers as [high, low] 32-bit words (precision beyond 2^53 is lost). */
function int64Value(value: unknown, signed: boolean): number {
  if (typeof value === "number" || typeof value === "bigint") return Number(value);
  const [high, low] = value as [number, number];
  const top = signed ? high | 0 : high >>> 0;
  return top * 2 ** 32 + (low >>> 0);
}

/** A structure as plain JSON: node-opcua objects through their toJSON, buffers as hex, bigints as numbers. */
export function plainJson(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, item) => {
    if (typeof item === "bigint") return Number(item);
    if (item && typeof item === "object" && item.type === "Buffer" && Array.isArray(item.data))
      return Buffer.from(item.data).toString("hex");
    return item;
  });
  return text === undefined ? null : JSON.parse(text);
}

/** The event fields the adapter selects, in this order (its EventFilter). */
export const EVENT_FIELDS = ["EventType", "SourceName", "Message", "Severity", "Time"] as const;

/** One event notification (the selected fields, in EVENT_FIELDS order) → one Plexus event. */
export function decodeEvent(fields: readonly (VariantLike | null | undefined)[], name: string): PointInput {
  const [eventType, sourceName, message, severity, time] = fields.map((field) =>
    field ? scalarValue(field.dataType, field.value) : undefined,
  );
  const value: Record<string, unknown> = {
    message: message ?? "",
    severity: typeof severity === "number" ? severity : 0,
    source: sourceName ?? "",
    event_type: eventType ?? "",
  };
  const point: PointInput = { metric: name, value };
  if (typeof time === "number" && time > NO_TIME) point.timestamp = time;
  return point;
}
