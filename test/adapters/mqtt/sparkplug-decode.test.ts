/**
 * Sparkplug B decoding (our codec; sparkplug-codec.test.ts checks it against protobufjs) against every
 * protobuf vector: each metric's value converted as the adapter maps its datatype.
 */
import { describe, expect, it } from "vitest";
import { decodeSparkplug, encodeSparkplug } from "../../../adapters/mqtt/sparkplug/codec.js";
import { convertValue, DATATYPE_NAMES } from "../../../adapters/mqtt/sparkplug/values.js";
import { type ExpectedMetric, payloadOf, sparkplugVectors } from "./vectors.js";

/** What the adapter promises for each datatype, written from the mapping table. */
function expectedPointValue(metric: ExpectedMetric): unknown {
  const value = metric.value as never;
  switch (metric.datatype) {
    case "Boolean":
      return value ? 1 : 0;
    case "Bytes":
      return { datatype: "Bytes", bytes: (metric.wire_bytes_hex ?? "").length / 2 };
    case "File":
      return {
        datatype: "File",
        bytes: (metric.wire_bytes_hex ?? "").length / 2,
        file_name: "Test.json",
        content_type: "application/json",
      };
    case "DataSet": {
      const { columns, types, rows } = value as { columns: string[]; types: string[]; rows: unknown[][] };
      return { columns, types, rows };
    }
    case "Template": {
      const t = value as {
        version: string;
        template_ref: string;
        is_definition: boolean;
        parameters: unknown[];
        metrics: { name: string; datatype: string; value: unknown }[];
      };
      return {
        version: t.version,
        template_ref: t.template_ref,
        is_definition: t.is_definition,
        parameters: t.parameters,
        metrics: t.metrics.map((m) => ({ name: m.name, datatype: m.datatype, value: m.value })),
      };
    }
    default:
      return value;
  }
}

describe("Sparkplug B decoding", () => {
  const protobufVectors = sparkplugVectors.filter((v) => v.message_type !== "STATE");
  it("has the vectors", () => expect(protobufVectors.length).toBe(16));

  for (const v of protobufVectors) {
    it(`decodes ${v.name}`, () => {
      const payload = decodeSparkplug(payloadOf(v.name));
      const expected = v.expected;
      if (expected.seq !== undefined) expect(Number(payload.seq)).toBe(expected.seq);
      if (expected.metric_count !== undefined) expect(payload.metrics.length).toBe(expected.metric_count);
      const metrics = expected.metrics ?? [];
      for (const [i, want] of metrics.entries()) {
        const got = payload.metrics[i];
        if (want.name !== undefined) expect(got.name).toBe(want.name);
        expect(got.datatype).toBe(want.datatype_id);
        const converted = convertValue(got, got.datatype);
        expect(converted.value, `${v.name} ${want.name ?? want.alias} (${want.datatype})`).toEqual(expectedPointValue(want));
      }
    });
  }

  it("covers every datatype of the issue's table (ids 1–19: Int8 … Template) and the 3.0 arrays", () => {
    const seen = new Set(protobufVectors.flatMap((v) => (v.expected.metrics ?? []).map((m) => m.datatype_id)));
    for (let id = 1; id <= 34; id++) if (id !== 20 && id !== 21) expect(seen, DATATYPE_NAMES[id]).toContain(id);
  });

  it("negative integers and UInt64 beyond 2^53", () => {
    const bytes = encodeSparkplug({
      metrics: [
        { name: "i8", datatype: 1, intValue: 0xff },
        { name: "i16", datatype: 2, intValue: 0xfffe },
        { name: "i32", datatype: 3, intValue: 0xfffffffd },
        { name: "i64", datatype: 4, longValue: "18446744073709551612" } /* -4 as two's complement */,
        { name: "u64", datatype: 8, longValue: "18446744073709551615" },
      ],
    });
    const metrics = decodeSparkplug(bytes).metrics;
    expect(metrics.map((m) => convertValue(m, m.datatype))).toEqual([
      { value: -1 },
      { value: -2 },
      { value: -3 },
      { value: -4 },
      { value: "18446744073709551615", counter: "sparkplug_integers_beyond_2^53" },
    ]);
  });

  it("refuses bytes that are not a payload", () => {
    expect(() => decodeSparkplug(Buffer.from("not protobuf at all, just text"))).toThrow();
  });
});
