/** The vectors of test/fixtures/mqtt (see SOURCES.md there): JSON payloads, Influx lines, Sparkplug B. */
import { readFileSync } from "node:fs";

export interface ExpectedMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  is_null?: boolean;
  datatype: string;
  datatype_id: number;
  value: unknown;
  wire_bytes_hex?: string;
}

export interface SparkplugVector {
  name: string;
  topic: string;
  message_type: string;
  payload_hex?: string;
  payload_text?: string;
  expected: { timestamp?: number; seq?: number; metrics?: ExpectedMetric[]; metric_count?: number; json?: unknown };
}

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/mqtt/${name}`, import.meta.url), "utf8"));
}

export interface JsonVector {
  device: string;
  topic: string | null;
  payload: string;
}

export interface InfluxVector {
  name: string;
  line: string;
  valid: boolean;
  expected?: {
    measurement: string;
    tags: Record<string, string>;
    fields: Record<string, { type: string; value: unknown }>;
    timestamp_ns: string | null;
  }[];
  expected_error?: { line: number; column: number; message: string };
  expected_stream_errors?: string[];
}

export const jsonVectors = fixture("json-payloads.json") as JsonVector[];
export const influxVectors = (fixture("influx-lines.json") as { lines: InfluxVector[] }).lines;
export const sparkplugVectors = fixture("sparkplug-vectors.json") as SparkplugVector[];

export function vector(name: string): SparkplugVector {
  const found = sparkplugVectors.find((v) => v.name === name);
  if (!found) throw new Error(`no Sparkplug vector ${name}`);
  return found;
}

export function payloadOf(name: string): Buffer {
  const v = vector(name);
  return v.payload_hex !== undefined ? Buffer.from(v.payload_hex, "hex") : Buffer.from(v.payload_text ?? "", "utf8");
}
