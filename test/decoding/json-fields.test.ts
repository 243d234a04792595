import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createJsonFlattener, globMatcher, JsonShapeError, parseTimestamp, valueAtPath } from "../../src/decoding/json-fields.js";

interface Vector {
  device: string;
  topic: string;
  payload: string;
}
const vectors: Vector[] = JSON.parse(readFileSync(new URL("../fixtures/mqtt/json-payloads.json", import.meta.url), "utf8"));
const payloadOf = (device: string, includes: string) => {
  const found = vectors.find((v) => v.device.includes(device) && v.payload.includes(includes));
  if (!found) throw new Error(`no vector for ${device} with ${includes}`);
  return JSON.parse(found.payload);
};

describe("createJsonFlattener on real Tasmota payloads", () => {
  it("names nested leaves by their dotted path, numbers as numbers, strings as events", () => {
    const flatten = createJsonFlattener();
    expect(flatten(payloadOf("DHT11", "20.5"))).toEqual([{ path: "DHT11.Temperature", value: 20.5 }]);
    // TX23 sends numbers as strings: events unless numeric_strings is on.
    const tx23 = payloadOf("TX23", "Speed");
    expect(flatten(tx23)).toEqual([
      { path: "TX23.Speed.Act", value: "12.3" },
      { path: "TX23.Dir.Card", value: "WSW" },
    ]);
    expect(createJsonFlattener({ numericStrings: true })(tx23)).toEqual([
      { path: "TX23.Speed.Act", value: 12.3 },
      { path: "TX23.Dir.Card", value: "WSW" },
    ]);
  });

  it("parses every vector's payload without error", () => {
    const flatten = createJsonFlattener();
    for (const vector of vectors) expect(flatten(JSON.parse(vector.payload)).length).toBeGreaterThan(0);
  });
});

describe("shapes and options", () => {
  it("indexes arrays, maps booleans to 0/1 or keeps them as events, skips null and skip paths", () => {
    const document = { Time: "2024-01-01T00:00:00", sensors: [{ t: 1 }, { t: 2 }], on: true, gone: null };
    expect(createJsonFlattener({ skip: ["Time"] })(document)).toEqual([
      { path: "sensors.0.t", value: 1 },
      { path: "sensors.1.t", value: 2 },
      { path: "on", value: 1 },
    ]);
    expect(createJsonFlattener({ booleans: "event", fields: ["on"] })(document)).toEqual([{ path: "on", value: true }]);
  });

  it("names a bare scalar document `value`", () => {
    expect(createJsonFlattener()(21.5)).toEqual([{ path: "value", value: 21.5 }]);
  });

  it("filters with globs: * within a segment, ** across segments", () => {
    const keep = globMatcher(["*.Temperature", "**.t"]);
    expect(keep("AM2301.Temperature")).toBe(true);
    expect(keep("a.b.Temperature")).toBe(false);
    expect(keep("sensors.0.t")).toBe(true);
    expect(keep("t")).toBe(true);
    expect(keep("sensors.0.tt")).toBe(false);
  });

  it("refuses documents deeper than the limit or with too many leaves", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 17; i++) deep = { a: deep };
    expect(() => createJsonFlattener()(deep)).toThrow(JsonShapeError);
    expect(() => createJsonFlattener()(deep)).toThrow(/deeper than 16/);
    let ok: unknown = 1;
    for (let i = 0; i < 16; i++) ok = { a: ok };
    expect(createJsonFlattener()(ok)).toHaveLength(1);
    const wide = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
    expect(() => createJsonFlattener({ fields: ["k1"] })(wide)).toThrow(/more than 10000 leaves/);
  });
});

describe("timestamps", () => {
  it("parses ISO (zone-less as UTC) and every unix precision to milliseconds", () => {
    expect(parseTimestamp("2024-03-01T12:00:00", "iso")).toBe(Date.UTC(2024, 2, 1, 12));
    expect(parseTimestamp("2024-03-01T12:00:00+01:00", "iso")).toBe(Date.UTC(2024, 2, 1, 11));
    expect(parseTimestamp(1_700_000_000, "unix_s")).toBe(1_700_000_000_000);
    expect(parseTimestamp("1700000000123", "unix_ms")).toBe(1_700_000_000_123);
    expect(parseTimestamp(1_700_000_000_123_456, "unix_us")).toBeCloseTo(1_700_000_000_123.456, 2);
    expect(parseTimestamp("1700000000123456789", "unix_ns")).toBe(1_700_000_000_123);
    expect(parseTimestamp("yesterday", "iso")).toBeUndefined();
    expect(parseTimestamp("abc", "unix_s")).toBeUndefined();
  });

  it("finds a field by dotted path", () => {
    expect(valueAtPath({ meta: { ts: 5 } }, "meta.ts")).toBe(5);
    expect(valueAtPath({ readings: [{ t: 7 }] }, "readings.0.t")).toBe(7);
    expect(valueAtPath({ a: 1 }, "a.b")).toBeUndefined();
  });
});
