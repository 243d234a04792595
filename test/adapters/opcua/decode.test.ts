/**
 * The pure decoder on DataValue-shaped inputs (the wire path is covered by values.test.ts): the
 * status code rules, the timestamp choice and its fallback, the array limit and enum labels.
 */
import { describe, expect, it } from "vitest";
import { BuiltIn, type DataValueLike, decodeDataValue, decodeEvent, statusSeverity } from "../../../adapters/opcua/decode.js";

const GOOD = { value: 0, name: "Good" };
const SOURCE = new Date("2026-01-01T00:00:00.000Z");
const SERVER = new Date("2026-01-01T00:00:01.000Z");
const options = { timestamps: "source" as const, arrayLimit: 3 };

function dv(dataType: number, value: unknown, extra: Partial<DataValueLike> = {}): DataValueLike {
  return {
    value: { dataType, arrayType: Array.isArray(value) ? 1 : 0, value },
    statusCode: GOOD,
    sourceTimestamp: SOURCE,
    serverTimestamp: SERVER,
    ...extra,
  };
}

describe("opcua decode", () => {
  it("classifies status codes by their severity bits", () => {
    expect(statusSeverity(0)).toBe("good");
    expect(statusSeverity(0x40920000)).toBe("uncertain"); // UncertainLastUsableValue... family
    expect(statusSeverity(0x80340000)).toBe("bad"); // BadNodeIdUnknown
    expect(statusSeverity(0x808a0000)).toBe("bad");
  });

  it("emits nothing for a Bad value, and tags an Uncertain one", () => {
    expect(
      decodeDataValue(dv(BuiltIn.Double, 1, { statusCode: { value: 0x808b0000, name: "BadSensorFailure" } }), { name: "t" }, options),
    ).toEqual({
      kind: "bad",
      status: "BadSensorFailure",
      code: 0x808b0000,
    });
    const uncertain = decodeDataValue(
      dv(BuiltIn.Double, 7.5, { statusCode: { value: 0x40900000, name: "Uncertain" } }),
      { name: "t", tags: { unit: "Cel" } },
      options,
    );
    expect(uncertain).toEqual({
      kind: "points",
      points: [{ metric: "t", value: 7.5, timestamp: SOURCE.getTime(), tags: { unit: "Cel", quality: "uncertain" } }],
    });
  });

  it("uses the chosen timestamp, and leaves the bridge's clock to stamp when the server sent none", () => {
    const at = (choice: "source" | "server" | "bridge", extra: Partial<DataValueLike> = {}) => {
      const decoded = decodeDataValue(dv(BuiltIn.Int32, 5, extra), { name: "n" }, { ...options, timestamps: choice });
      return decoded.kind === "points" ? decoded.points[0].timestamp : "bad";
    };
    expect(at("source")).toBe(SOURCE.getTime());
    expect(at("server")).toBe(SERVER.getTime());
    expect(at("bridge")).toBeUndefined();
    expect(at("source", { sourceTimestamp: null })).toBeUndefined();
    // OPC-UA's null DateTime (1601) arrives as a date before 1970.
    expect(at("server", { serverTimestamp: new Date(Date.UTC(1601, 0, 1)) })).toBeUndefined();
  });

  it("splits short numeric arrays per index and sends longer ones as one JSON event", () => {
    const short = decodeDataValue(dv(BuiltIn.Boolean, [true, false]), { name: "a" }, options);
    expect(short.kind === "points" && short.points.map((p) => [p.metric, p.value])).toEqual([
      ["a.0", 1],
      ["a.1", 0],
    ]);
    const long = decodeDataValue(dv(BuiltIn.Int32, [1, 2, 3, 4]), { name: "a" }, options);
    expect(long.kind === "points" && long.points.map((p) => [p.metric, p.value])).toEqual([["a", [1, 2, 3, 4]]]);
    const typed = decodeDataValue(
      { ...dv(BuiltIn.Float, 0), value: { dataType: BuiltIn.Float, arrayType: 1, value: new Float32Array([0.5]) } },
      { name: "f" },
      options,
    );
    expect(typed.kind === "points" && typed.points[0]).toMatchObject({ metric: "f.0", value: 0.5 });
    const strings = decodeDataValue(dv(BuiltIn.String, ["a", "b"]), { name: "s" }, options);
    expect(strings.kind === "points" && strings.points.map((p) => [p.metric, p.value])).toEqual([["s", ["a", "b"]]]);
  });

  it("adds the label of an enumeration, and the number when the label is unknown", () => {
    const labels = new Map([
      [0, "Off"],
      [1, "On"],
    ]);
    const on = decodeDataValue(dv(BuiltIn.Int32, 1), { name: "pump", enumLabels: labels }, options);
    expect(on.kind === "points" && on.points.map((p) => [p.metric, p.value])).toEqual([
      ["pump", 1],
      ["pump.label", "On"],
    ]);
    const odd = decodeDataValue(dv(BuiltIn.Int32, 9), { name: "pump", enumLabels: labels }, options);
    expect(odd.kind === "points" && odd.points[1].value).toBe("9");
  });

  it("turns an event's selected fields into one Plexus event, stamped with the event's Time", () => {
    const fields = [
      { dataType: BuiltIn.NodeId, arrayType: 0, value: "ns=0;i=2915" },
      { dataType: BuiltIn.String, arrayType: 0, value: "Press1" },
      { dataType: BuiltIn.LocalizedText, arrayType: 0, value: { text: "Overtemperature" } },
      { dataType: BuiltIn.UInt16, arrayType: 0, value: 800 },
      { dataType: BuiltIn.DateTime, arrayType: 0, value: SOURCE },
    ];
    expect(decodeEvent(fields, "alarms")).toEqual({
      metric: "alarms",
      value: { message: "Overtemperature", severity: 800, source: "Press1", event_type: "ns=0;i=2915" },
      timestamp: SOURCE.getTime(),
    });
    expect(decodeEvent([null, null, null, null, null], "e")).toEqual({
      metric: "e",
      value: { message: "", severity: 0, source: "", event_type: "" },
    });
  });

  it("turns 64-bit words, dates, text and structures into point values", () => {
    const one = (dataType: number, value: unknown) => {
      const decoded = decodeDataValue({ ...dv(dataType, 0), value: { dataType, arrayType: 0, value } }, { name: "x" }, options);
      return decoded.kind === "points" ? decoded.points[0]?.value : "bad";
    };
    expect(one(BuiltIn.Int64, [0xffffffff, 0xfffffffe])).toBe(-2);
    expect(one(BuiltIn.UInt64, [1, 0])).toBe(2 ** 32);
    expect(one(BuiltIn.DateTime, SOURCE)).toBe(SOURCE.getTime());
    expect(one(BuiltIn.LocalizedText, { locale: "de", text: "Läuft" })).toBe("Läuft");
    expect(one(BuiltIn.ByteString, Buffer.from([0xca, 0xfe]))).toBe("cafe");
    expect(one(BuiltIn.ExtensionObject, { toJSON: () => ({ x: 1n, raw: Buffer.from([1]) }) })).toEqual({ x: 1, raw: "01" });
    expect(one(BuiltIn.String, null)).toBeUndefined();
  });
});
