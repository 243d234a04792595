/**
 * Sparkplug B payloads through protobufjs, from the reflection descriptor of the official
 * sparkplug_b.proto (descriptor.ts). protobufjs generates its decoder once per type at the first
 * use, so decoding is as fast as generated static code.
 */
import * as protobuf from "protobufjs/light.js";
import { sparkplugDescriptor } from "./descriptor.js";

const root = protobuf.Root.fromJSON(sparkplugDescriptor);
const PayloadType = root.lookupType("org.eclipse.tahu.protobuf.Payload");

/** A 64-bit integer as protobufjs hands it: a Long ({low, high}) when the `long` package is present (a dependency of protobufjs). */
export type Int64 = number | { low: number; high: number; unsigned: boolean };

export interface SparkplugDataSetValue {
  /** Which oneof value field is set (intValue, longValue, floatValue…), if any. */
  value?: string;
  intValue: number;
  longValue: Int64;
  floatValue: number;
  doubleValue: number;
  booleanValue: boolean;
  stringValue: string;
}

export interface SparkplugMetric extends SparkplugDataSetValue {
  name: string;
  alias: Int64;
  timestamp: Int64;
  datatype: number;
  isHistorical: boolean;
  isTransient: boolean;
  isNull: boolean;
  bytesValue: Uint8Array;
  datasetValue?: SparkplugDataSet;
  templateValue?: SparkplugTemplate;
  metadata?: { fileName?: string; contentType?: string; size?: Int64; md5?: string; description?: string };
}

export interface SparkplugDataSet {
  numOfColumns: Int64;
  columns: string[];
  types: number[];
  rows: { elements: SparkplugDataSetValue[] }[];
}

export interface SparkplugParameter extends SparkplugDataSetValue {
  name: string;
  type: number;
}

export interface SparkplugTemplate {
  version: string;
  metrics: SparkplugMetric[];
  parameters: SparkplugParameter[];
  templateRef: string;
  isDefinition: boolean;
}

export interface SparkplugPayload {
  timestamp: Int64;
  seq: Int64;
  uuid: string;
  metrics: SparkplugMetric[];
}

/** Decodes a payload; throws on bytes that are not a Sparkplug B payload. */
export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  return PayloadType.decode(bytes) as unknown as SparkplugPayload;
}

/**
 * Encodes a payload from a plain object (field names in camelCase, as protobufjs reads them;
 * 64-bit values may be numbers or decimal strings).
 */
export function encodeSparkplug(payload: Record<string, unknown>): Uint8Array {
  return PayloadType.encode(PayloadType.fromObject(payload)).finish();
}

/** As a JS number; exact up to 2^53. Signedness as the field's type says (uint64 fields are unsigned). */
export function toNumber(value: Int64): number {
  if (typeof value === "number") return value;
  return (value.unsigned ? value.high >>> 0 : value.high | 0) * 4294967296 + (value.low >>> 0);
}

/** Exactly, as a bigint, read as signed or unsigned whatever the wire type was. */
export function toBigInt(value: Int64, signed: boolean): bigint {
  const raw = typeof value === "number" ? BigInt(value) : (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return signed ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw);
}
