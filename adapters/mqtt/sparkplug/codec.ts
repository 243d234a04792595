/**
 * Sparkplug B payloads (the official sparkplug_b.proto, as the table in sparkplug-schema.ts) through
 * our own protobuf wire codec: protobufjs and its `long` were 4 MB of the production install (issue 15)
 * and their RSS, for this one message. Decoded messages keep protobufjs' semantics
 * (protobuf-message.ts), which host.ts and values.ts rely on.
 */
import { decodeMessage, encodeMessage } from "./protobuf-message.js";
import { type Int64, WireReader, WireWriter } from "./protobuf-wire.js";
import { sparkplugTypes } from "./sparkplug-schema.js";

export type { Int64 } from "./protobuf-wire.js";
export { WireFormatError } from "./protobuf-wire.js";

/** The value fields DataSetValue, Metric, Template.Parameter and PropertyValue share. */
interface SparkplugScalarValues {
  intValue: number;
  longValue: Int64;
  floatValue: number;
  doubleValue: number;
  booleanValue: boolean;
  stringValue: string;
  extensionValue?: object;
}

export interface SparkplugDataSetValue extends SparkplugScalarValues {
  /** Which oneof value field is set (intValue, longValue, floatValue…), if any. */
  value?: string;
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
  metadata?: SparkplugMetaData;
  properties?: SparkplugPropertySet;
  extensionValue?: object;
}

export interface SparkplugMetaData {
  isMultiPart: boolean;
  contentType: string;
  size: Int64;
  seq: Int64;
  fileName: string;
  fileType: string;
  md5: string;
  description: string;
}

export interface SparkplugPropertyValue extends SparkplugScalarValues {
  type: number;
  isNull: boolean;
  /** Which oneof value field is set (intValue … propertysetValue, propertysetsValue), if any. */
  value?: string;
  propertysetValue?: SparkplugPropertySet;
  propertysetsValue?: { propertyset: SparkplugPropertySet[] };
}

export interface SparkplugPropertySet {
  keys: string[];
  values: SparkplugPropertyValue[];
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
  body: Uint8Array;
}

/** Decodes a payload; throws WireFormatError on bytes that are not a Sparkplug B payload. */
export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  const reader = new WireReader(bytes);
  return decodeMessage(reader, sparkplugTypes.Payload, reader.limit, 0) as unknown as SparkplugPayload;
}

/**
 * Encodes a payload from a plain object (field names in camelCase, as protobufjs reads them;
 * 64-bit values may be numbers, decimal strings, bigints or {low, high}).
 */
export function encodeSparkplug(payload: Record<string, unknown>): Uint8Array {
  const writer = new WireWriter();
  encodeMessage(writer, sparkplugTypes.Payload, payload, "Payload");
  return writer.finish();
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
