/** The Sparkplug B vectors of test/fixtures/mqtt (see SOURCES.md there), by name. */
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

export const sparkplugVectors: SparkplugVector[] = JSON.parse(
  readFileSync(new URL("../../fixtures/mqtt/sparkplug-vectors.json", import.meta.url), "utf8"),
);

export function vector(name: string): SparkplugVector {
  const found = sparkplugVectors.find((v) => v.name === name);
  if (!found) throw new Error(`no Sparkplug vector ${name}`);
  return found;
}

export function payloadOf(name: string): Buffer {
  const v = vector(name);
  return v.payload_hex !== undefined ? Buffer.from(v.payload_hex, "hex") : Buffer.from(v.payload_text ?? "", "utf8");
}
