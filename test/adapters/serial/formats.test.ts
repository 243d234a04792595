import { describe, expect, it } from "vitest";
import { createDecoder } from "../../../adapters/serial/decoder.js";
import serial from "../../../adapters/serial/index.js";
import type { PointInput } from "../../../src/pipeline/point.js";

function decoder(options: Record<string, unknown>) {
  const counters = new Map<string, number>();
  const parsed = serial.options.parse({ device: "/dev/null", ...options });
  const decode = createDecoder(parsed, (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n));
  return {
    counters,
    run(...frames: (string | Buffer)[]) {
      const out: PointInput[] = [];
      for (const frame of frames) decode.decode(typeof frame === "string" ? Buffer.from(frame, "latin1") : frame, out);
      return out.map((p) => (p.tags || p.timestamp ? p : [p.metric, p.value]));
    },
  };
}

describe("lines format", () => {
  it("reads key=value and key: value pairs with the default separators", () => {
    const { run } = decoder({ format: "lines" });
    expect(run("T=21.5 RH=40,state=ok\r", "temp: -3.25; wind: 4")).toEqual([
      ["T", 21.5],
      ["RH", 40],
      ["state", "ok"],
      ["temp", -3.25],
      ["wind", 4],
    ]);
  });

  it("uses the separator option and declared columns", () => {
    const { run, counters } = decoder({ format: "lines", separator: "|", columns: [{ name: "p", scale: 0.1, unit: "hPa" }] });
    expect(run("p=10132|note=a b", "p=x")).toEqual([{ metric: "p", value: 1013.2, tags: { unit: "hPa" } }, ["note", "a b"]]);
    expect(counters.get("bad_values")).toBe(1);
  });
});

describe("csv format", () => {
  it("names columns from a header row; rows before it are counted", () => {
    const { run, counters } = decoder({ format: "csv" });
    expect(run("1,2", "time,temp,rh", "12:00,21.5,", '12:01,"21.6",41')).toEqual([
      ["time", "12:00"],
      ["temp", 21.5],
      ["time", "12:01"],
      ["temp", 21.6],
      ["rh", 41],
    ]);
    expect(counters.get("rows_without_header")).toBe(1);
  });

  it("uses declared columns (type, scale, add, unit) and skips a header row", () => {
    const { run, counters } = decoder({
      format: "csv",
      separator: ";",
      columns: [
        { name: "id", type: "skip" },
        { name: "temp", scale: 0.1, add: -40, unit: "Cel" },
        { name: "label", type: "string" },
      ],
    });
    expect(run("id;temp;label", "7;612;boiler", "8;x;y;extra")).toEqual([
      { metric: "temp", value: 21.200000000000003, tags: { unit: "Cel" } },
      ["label", "boiler"],
      ["label", "y"],
    ]);
    expect(counters.get("bad_values")).toBe(1);
    expect(counters.get("rows_with_wrong_field_count")).toBe(1);
  });
});

describe("json format", () => {
  it("flattens with the shared mapper, filters by glob and stamps from a field", () => {
    const { run, counters } = decoder({
      format: "json",
      json_fields: ["sensors.*.t", "ok"],
      timestamp_field: "ts",
      timestamp_format: "unix_ms",
    });
    expect(run('{"ts":1755700000123,"sensors":[{"t":21.5,"id":"a"}],"ok":true}', "{broken")).toEqual([
      { metric: "sensors.0.t", value: 21.5, timestamp: 1755700000123 },
      { metric: "ok", value: 1, timestamp: 1755700000123 },
    ]);
    expect(counters.get("bad_json")).toBe(1);
  });
});

describe("regex format", () => {
  it("turns named groups into points, typed per column; counts frames it does not match", () => {
    const { run, counters } = decoder({
      format: "regex",
      pattern: "T=(?<temp>-?\\d+\\.\\d+)C H=(?<rh>\\d+)% S=(?<state>\\w+)",
      columns: [
        { name: "rh", scale: 0.01, unit: "1" },
        { name: "state", type: "string" },
      ],
    });
    expect(run("T=-4.5C H=55% S=OK", "hello")).toEqual([
      ["temp", -4.5],
      { metric: "rh", value: 0.55, tags: { unit: "1" } },
      ["state", "OK"],
    ]);
    expect(counters.get("unmatched_frames")).toBe(1);
  });
});

describe("binary format", () => {
  it("reads fields with the shared typed-field decoder in any byte order, scaled", () => {
    const { run, counters } = decoder({
      format: "binary",
      framing: { length: 11 },
      fields: [
        { name: "status", offset: 0, type: "uint8" },
        { name: "temp", offset: 1, type: "int16", byte_order: "little", scale: 0.1, unit: "Cel" },
        { name: "flow", offset: 3, type: "float32", byte_order: "CDAB" },
        { name: "count", offset: 7, type: "uint32", byte_order: "DCBA" },
        { name: "extra", offset: 11, type: "uint8" },
      ],
    });
    const frame = Buffer.alloc(11);
    frame[0] = 3;
    frame.writeInt16LE(-215, 1);
    const flow = Buffer.alloc(4);
    flow.writeFloatBE(12.5);
    // CDAB: the low word first.
    Buffer.from([flow[2], flow[3], flow[0], flow[1]]).copy(frame, 3);
    frame.writeUInt32LE(123456, 7);
    expect(run(frame)).toEqual([["status", 3], { metric: "temp", value: -21.5, tags: { unit: "Cel" } }, ["flow", 12.5], ["count", 123456]]);
    expect(counters.get("short_frames")).toBe(1);
  });
});
