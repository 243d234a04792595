/**
 * Sparkplug B metric values → point values, by datatype (Sparkplug 3.0 §6.4.16):
 * integers, floats and DateTime (ms) become numbers, Boolean 0/1, String/Text/UUID text events,
 * DataSet, Template and the array types JSON events, Bytes and File a summary event.
 * Integers beyond 2^53 cannot be a float64 metric without lying: they become decimal strings.
 */
import type { PointValue } from "../../../src/pipeline/point.js";
import {
  type SparkplugDataSet,
  type SparkplugDataSetValue,
  type SparkplugMetric,
  type SparkplugTemplate,
  toBigInt,
  toNumber,
} from "./codec.js";

export const DATATYPE_NAMES = [
  "Unknown",
  "Int8",
  "Int16",
  "Int32",
  "Int64",
  "UInt8",
  "UInt16",
  "UInt32",
  "UInt64",
  "Float",
  "Double",
  "Boolean",
  "String",
  "DateTime",
  "Text",
  "UUID",
  "DataSet",
  "Bytes",
  "File",
  "Template",
  "PropertySet",
  "PropertySetList",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Int64Array",
  "UInt8Array",
  "UInt16Array",
  "UInt32Array",
  "UInt64Array",
  "FloatArray",
  "DoubleArray",
  "BooleanArray",
  "StringArray",
  "DateTimeArray",
] as const;

export function datatypeName(id: number): string {
  return DATATYPE_NAMES[id] ?? `datatype ${id}`;
}

/** A converted value, or why there is none; `counter` names what the adapter counts. */
export type Converted = { value: PointValue; counter?: string } | { value?: undefined; counter: string };

const SAFE_HIGH = 0x1fffff; // the high 32 bits of 2^53 - 1
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Converts one metric's value as `datatype` says (the metric's own, else its BIRTH's). */
export function convertValue(metric: SparkplugDataSetValue, datatype: number): Converted {
  switch (datatype) {
    case 1:
      return { value: (wordOf(metric) << 24) >> 24 };
    case 2:
      return { value: (wordOf(metric) << 16) >> 16 };
    case 3:
      return { value: wordOf(metric) | 0 };
    case 5:
    case 6:
    case 7:
      return { value: wordOf(metric) >>> 0 };
    case 4:
      return int64(metric, true);
    case 8:
      return int64(metric, false);
    case 13:
      return { value: toNumber(metric.longValue) };
    case 9:
      return { value: shortestFloat32(metric.floatValue) };
    case 10:
      return { value: metric.doubleValue };
    case 11:
      return { value: metric.booleanValue ? 1 : 0 };
    case 12:
    case 14:
    case 15:
      return { value: metric.stringValue };
    default:
      return convertComplex(metric as SparkplugMetric, datatype);
  }
}

function convertComplex(metric: SparkplugMetric, datatype: number): Converted {
  switch (datatype) {
    case 16:
      return metric.datasetValue ? { value: dataSetJson(metric.datasetValue) } : { counter: "sparkplug_missing_values" };
    case 19:
      return metric.templateValue ? { value: templateJson(metric.templateValue) } : { counter: "sparkplug_missing_values" };
    case 17:
      return { value: { datatype: "Bytes", bytes: metric.bytesValue.length }, counter: "sparkplug_binary_metrics" };
    case 18: {
      const meta = metric.metadata;
      const summary: Record<string, unknown> = { datatype: "File", bytes: metric.bytesValue.length };
      if (meta?.fileName) summary.file_name = meta.fileName;
      if (meta?.contentType) summary.content_type = meta.contentType;
      return { value: summary, counter: "sparkplug_binary_metrics" };
    }
    default: {
      if (datatype >= 22 && datatype <= 34) return { value: decodeArray(metric.bytesValue, datatype) };
      return { counter: "sparkplug_unsupported_datatypes" };
    }
  }
}

/**
 * A float32 widened to a double shows its binary error (12.1 → 12.100000381469727). The
 * shortest decimal that reads back as the same float32 is what the device meant.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  for (let digits = 7; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

/** Int8…UInt32 may come in int_value (the spec) or long_value (some encoders). */
function wordOf(metric: SparkplugDataSetValue): number {
  if (metric.value === "longValue") {
    const long = metric.longValue;
    return typeof long === "number" ? long : long.low;
  }
  return metric.intValue;
}

function int64(metric: SparkplugDataSetValue, signed: boolean): Converted {
  const long = metric.longValue;
  if (typeof long === "number") return { value: long };
  // The common case, a non-negative value below 2^53, without a bigint.
  if (long.high >>> 0 <= SAFE_HIGH) return { value: (long.high >>> 0) * 4294967296 + (long.low >>> 0) };
  const value = toBigInt(long, signed);
  if (value >= -MAX_SAFE && value <= MAX_SAFE) return { value: Number(value) };
  return { value: value.toString(), counter: "sparkplug_integers_beyond_2^53" };
}

function plainValue(element: SparkplugDataSetValue, datatype: number): PointValue | null {
  if (element.value === undefined) return null;
  return convertValue(element, datatype).value ?? null;
}

function dataSetJson(dataset: SparkplugDataSet): Record<string, unknown> {
  const types = dataset.types;
  return {
    columns: dataset.columns,
    types: types.map(datatypeName),
    rows: dataset.rows.map((row) => row.elements.map((element, i) => plainValue(element, types[i]))),
  };
}

function templateJson(template: SparkplugTemplate): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (template.version) json.version = template.version;
  if (template.templateRef) json.template_ref = template.templateRef;
  json.is_definition = template.isDefinition;
  json.parameters = template.parameters.map((p) => ({ name: p.name, type: datatypeName(p.type), value: plainValue(p, p.type) }));
  json.metrics = template.metrics.map((m) => ({
    name: m.name,
    datatype: datatypeName(m.datatype),
    value: m.isNull ? null : plainValue(m, m.datatype),
  }));
  return json;
}

/** Sparkplug 3.0 arrays: packed little-endian in bytes_value. */
export function decodeArray(bytes: Uint8Array, datatype: number): PointValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (size: number, get: (offset: number) => number | string) => {
    const out: (number | string)[] = [];
    for (let offset = 0; offset + size <= bytes.byteLength; offset += size) out.push(get(offset));
    return out;
  };
  const big = (value: bigint) =>
    value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  switch (datatype) {
    case 22:
      return read(1, (o) => view.getInt8(o));
    case 23:
      return read(2, (o) => view.getInt16(o, true));
    case 24:
      return read(4, (o) => view.getInt32(o, true));
    case 25:
      return read(8, (o) => big(view.getBigInt64(o, true)));
    case 26:
      return read(1, (o) => view.getUint8(o));
    case 27:
      return read(2, (o) => view.getUint16(o, true));
    case 28:
      return read(4, (o) => view.getUint32(o, true));
    case 29:
    case 34:
      return read(8, (o) => big(view.getBigUint64(o, true)));
    case 30:
      return read(4, (o) => shortestFloat32(view.getFloat32(o, true)));
    case 31:
      return read(8, (o) => view.getFloat64(o, true));
    case 32: {
      // A 4-byte count, then the bits, most significant first.
      const count = bytes.byteLength >= 4 ? view.getUint32(0, true) : 0;
      const out: boolean[] = [];
      for (let i = 0; i < count && 4 + (i >> 3) < bytes.byteLength; i++) out.push((bytes[4 + (i >> 3)] & (0x80 >> (i & 7))) !== 0);
      return out;
    }
    default: {
      // StringArray: NUL-terminated UTF-8 strings.
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
      const parts = text.split("\0");
      if (parts[parts.length - 1] === "") parts.pop();
      return parts;
    }
  }
}
