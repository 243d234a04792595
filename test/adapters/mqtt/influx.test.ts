/** Influx line protocol against every vector of Telegraf's parser tests, including the invalid lines and their errors. */
import { describe, expect, it } from "vitest";
import { parseInflux } from "../../../adapters/mqtt/influx.js";
import { influxVectors } from "./vectors.js";

const vectors = influxVectors;

function plain(result: ReturnType<typeof parseInflux>) {
  return result.lines.map((line) => ({
    measurement: line.measurement,
    tags: line.tags,
    fields: Object.fromEntries(
      Object.entries(line.fields).map(([key, field]) => {
        const value =
          typeof field.value === "bigint" ? (field.value > 2n ** 53n ? field.value.toString() : Number(field.value)) : field.value;
        return [key, { type: field.type, value }];
      }),
    ),
    timestamp_ns: line.timestamp === undefined ? null : line.timestamp.toString(),
  }));
}

describe("influx line protocol (Telegraf's vectors)", () => {
  it("has the vectors", () => expect(vectors.length).toBe(35));

  for (const vector of vectors.filter((v) => v.valid)) {
    it(`parses: ${vector.name}`, () => {
      const result = parseInflux(vector.line);
      expect(result.errors).toEqual([]);
      expect(plain(result)).toEqual(vector.expected);
    });
  }

  for (const vector of vectors.filter((v) => !v.valid && v.expected_error)) {
    it(`refuses with Telegraf's error: ${vector.name}`, () => {
      const result = parseInflux(vector.line);
      const { line, column, message } = vector.expected_error!;
      expect(result.errors[0]).toEqual({ line, column, message });
      // The valid lines around a bad one still come through.
      const good = vector.line.split("\n").filter((text, i) => i + 1 !== line && text !== "");
      expect(result.lines.length).toBe(good.length);
    });
  }

  it("stream: reports every bad line and keeps the good ones", () => {
    const vector = vectors.find((v) => v.expected_stream_errors)!;
    const result = parseInflux(vector.line);
    expect(result.errors.map((e) => `metric parse error: ${e.message} at ${e.line}:${e.column}`)).toEqual(vector.expected_stream_errors);
    expect(plain(result)).toEqual(vector.expected);
  });
});
