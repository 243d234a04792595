/** Frames → points: naming, labels, on_change/deadband/max_rate/heartbeat, raw, J1939, include/exclude, NaN. */
import { describe, expect, it } from "vitest";
import { CompiledDatabase } from "../../../adapters/can/dbc/database.js";
import { parseDbc } from "../../../adapters/can/dbc/parser.js";
import { type DecoderConfig, FrameDecoder } from "../../../adapters/can/decode.js";
import type { CanFrame } from "../../../adapters/can/frame.js";
import can from "../../../adapters/can/index.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const DBC = `VERSION ""
NS_ :
BS_:
BU_: ECU
BO_ 256 Engine: 8 ECU
 SG_ Rpm : 0|16@1+ (0.25,0) [0|16383] "rpm" ECU
 SG_ Gear : 16|4@1+ (1,0) [0|15] "" ECU
 SG_ Temp : 24|8@1+ (1,-40) [-40|215] "degC" ECU
 SG_ Ratio : 32|32@1- (1,0) [0|0] "" ECU
BO_ 2364540158 EEC1: 8 ECU
 SG_ EngineSpeed : 24|16@1+ (0.125,0) [0|8031.875] "rpm" ECU
BO_ 2348810240 TSC1: 8 ECU
 SG_ RequestedSpeed : 8|16@1+ (0.125,0) [0|8031.875] "rpm" ECU
VAL_ 256 Gear 0 "neutral" 1 "first" 2 "second" ;
SIG_VALTYPE_ 256 Ratio : 1;
`;

const db = (() => {
  const { db: parsed, problems } = parseDbc(DBC, "test.dbc");
  expect(problems).toEqual([]);
  return new CompiledDatabase(parsed.messages);
})();

function config(overrides: Partial<DecoderConfig> = {}): DecoderConfig {
  return { naming: "message", labels: true, raw: "none", j1939: false, exclude: [], defaults: {}, signals: {}, ...overrides };
}

function engineFrame(rpm: number, gear: number, temp: number, timestampMs?: number, ratio = 1.5): CanFrame {
  const data = Buffer.alloc(8);
  data.writeUInt16LE(Math.round(rpm / 0.25), 0);
  data[2] = gear;
  data[3] = temp + 40;
  data.writeFloatLE(ratio, 4);
  return { id: 256, extended: false, rtr: false, error: false, fd: false, data, channel: "can0", timestampMs };
}

function run(decoder: FrameDecoder, frames: CanFrame[]): PointInput[] {
  const out: PointInput[] = [];
  for (const frame of frames) decoder.decode(frame, out);
  return out;
}

const series = (points: PointInput[], metric: string) => points.filter((p) => p.metric === metric).map((p) => p.value);

describe("names, tags and labels", () => {
  it("names signals <message>.<signal>, tags the bus, sends labels on change", () => {
    const decoder = new FrameDecoder(db, config(), () => 0);
    const points = run(decoder, [engineFrame(800, 1, 90), engineFrame(810, 1, 90), engineFrame(820, 2, 91)]);
    expect(series(points, "Engine.Rpm")).toEqual([800, 810, 820]);
    expect(series(points, "Engine.Gear")).toEqual([1, 1, 2]);
    expect(series(points, "Engine.Gear.label")).toEqual(["first", "second"]);
    expect(series(points, "Engine.Temp")).toEqual([90, 90, 91]);
    expect(points.every((p) => p.tags?.bus === "can0" && p.timestamp === undefined)).toBe(true);
  });

  it("a value outside the table is labelled with its number", () => {
    const points = run(new FrameDecoder(db, config(), () => 0), [engineFrame(800, 1, 90), engineFrame(800, 9, 90)]);
    expect(series(points, "Engine.Gear.label")).toEqual(["first", "9"]);
  });

  it("naming: signal, labels: false, bus override", () => {
    const points = run(new FrameDecoder(db, config({ naming: "signal", labels: false, bus: "powertrain" }), () => 0), [
      engineFrame(800, 1, 90),
    ]);
    expect(points.map((p) => p.metric)).toEqual(["Rpm", "Gear", "Temp", "Ratio"]);
    expect(points[0].tags).toEqual({ bus: "powertrain" });
  });

  it("include and exclude patterns", () => {
    const only = run(new FrameDecoder(db, config({ include: ["Engine.R*"] }), () => 0), [engineFrame(800, 1, 90)]);
    expect(only.map((p) => p.metric)).toEqual(["Engine.Rpm", "Engine.Ratio"]);
    const without = run(new FrameDecoder(db, config({ exclude: ["Gear", "Engine.Ratio"] }), () => 0), [engineFrame(800, 1, 90)]);
    expect(without.map((p) => p.metric)).toEqual(["Engine.Rpm", "Engine.Temp"]);
  });

  it("skips and counts non-finite values (a NaN float signal)", () => {
    const decoder = new FrameDecoder(db, config(), () => 0);
    const points = run(decoder, [
      engineFrame(800, 1, 90, undefined, Number.NaN),
      engineFrame(800, 1, 90, undefined, Number.POSITIVE_INFINITY),
    ]);
    expect(series(points, "Engine.Ratio")).toEqual([]);
    expect(decoder.health.pending.non_finite_values).toBe(2);
  });

  it("counts frames shorter than their message as decode errors and sends what fits", () => {
    const decoder = new FrameDecoder(db, config(), () => 0);
    const frame = engineFrame(800, 1, 90);
    const points = run(decoder, [{ ...frame, data: frame.data.subarray(0, 3) }]);
    expect(points.map((p) => p.metric)).toEqual(["Engine.Rpm", "Engine.Gear", "Engine.Gear.label"]);
    expect(decoder.health.pending.decode_errors).toBe(1);
  });

  it("raw: all sends known frames as hex too; RTR frames are counted but not decoded", () => {
    const decoder = new FrameDecoder(db, config({ raw: "all" }), () => 0);
    const rtr: CanFrame = { ...engineFrame(0, 0, 0), rtr: true, data: new Uint8Array(0) };
    const points = run(decoder, [engineFrame(800, 1, 90), rtr]);
    expect(points.filter((p) => p.metric === "raw.100").map((p) => p.value)).toEqual(["800C01820000C03F", "R"]);
    expect(series(points, "Engine.Rpm")).toEqual([800]);
  });
});

describe("send policy", () => {
  it("on_change with a deadband", () => {
    const decoder = new FrameDecoder(db, config({ defaults: { on_change: true, deadband: 5 } }), () => 0);
    const rpms = [800, 802, 804, 806, 806, 790, 790];
    const points = run(
      decoder,
      rpms.map((rpm, i) => engineFrame(rpm, 1, 90, i * 10)),
    );
    expect(series(points, "Engine.Rpm")).toEqual([800, 806, 790]);
    expect(series(points, "Engine.Temp")).toEqual([90]);
  });

  it("max_rate limits each signal by frame time", () => {
    const decoder = new FrameDecoder(db, config({ defaults: { max_rate: 10 } }), () => 0);
    const points = run(
      decoder,
      [0, 50, 99, 100, 150, 210].map((t, i) => engineFrame(800 + i, 1, 90, t)),
    );
    expect(points.filter((p) => p.metric === "Engine.Rpm").map((p) => p.timestamp)).toEqual([0, 100, 210]);
  });

  it("heartbeat re-sends an unchanged value", () => {
    const decoder = new FrameDecoder(db, config({ defaults: { on_change: true, heartbeat: 1000 } }), () => 0);
    const points = run(
      decoder,
      [0, 500, 999, 1000, 1600, 2000].map((t) => engineFrame(800, 1, 90, t)),
    );
    expect(points.filter((p) => p.metric === "Engine.Rpm").map((p) => p.timestamp)).toEqual([0, 1000, 2000]);
  });

  it("per-signal overrides win over the defaults; live frames use the monotonic clock", () => {
    let now = 0;
    const decoder = new FrameDecoder(
      db,
      config({ defaults: { on_change: true }, signals: { "Engine.Temp": { on_change: false } } }),
      () => now,
    );
    const points: PointInput[] = [];
    for (let i = 0; i < 3; i++) {
      now += 10;
      decoder.decode(engineFrame(800, 1, 90), points);
    }
    expect(series(points, "Engine.Rpm")).toEqual([800]);
    expect(series(points, "Engine.Temp")).toEqual([90, 90, 90]);
  });
});

describe("several buses in one stream (a candump log of can0 and can1)", () => {
  const on = (channel: string, frame: CanFrame): CanFrame => ({ ...frame, channel });

  it("keeps on_change and max_rate state per interface: equal values on two buses are two series", () => {
    const decoder = new FrameDecoder(db, config({ defaults: { on_change: true } }), () => 0);
    const points = run(decoder, [
      on("can0", engineFrame(800, 1, 90, 0)),
      on("can1", engineFrame(800, 1, 90, 1)),
      on("can0", engineFrame(800, 1, 90, 2)),
    ]);
    expect(points.filter((p) => p.metric === "Engine.Rpm").map((p) => p.tags?.bus)).toEqual(["can0", "can1"]);
    const limited = new FrameDecoder(db, config({ defaults: { max_rate: 1 } }), () => 0);
    const limitedPoints = run(limited, [on("can0", engineFrame(800, 1, 90, 0)), on("can1", engineFrame(900, 1, 90, 10))]);
    expect(limitedPoints.filter((p) => p.metric === "Engine.Rpm").map((p) => [p.value, p.tags?.bus])).toEqual([
      [800, "can0"],
      [900, "can1"],
    ]);
  });

  it("sends each bus its own label changes", () => {
    const decoder = new FrameDecoder(db, config(), () => 0);
    const points = run(decoder, [
      on("can0", engineFrame(800, 1, 90)),
      on("can1", engineFrame(800, 1, 90)),
      on("can1", engineFrame(800, 2, 90)),
      on("can0", engineFrame(800, 1, 90)),
    ]);
    expect(points.filter((p) => p.metric === "Engine.Gear.label").map((p) => [p.value, p.tags?.bus])).toEqual([
      ["first", "can0"],
      ["first", "can1"],
      ["second", "can1"],
    ]);
  });
});

describe("J1939", () => {
  const frame = (id: number, rpm: number): CanFrame => {
    const data = Buffer.alloc(8);
    data.writeUInt16LE(rpm * 8, 3);
    data.writeUInt16LE(rpm * 8, 1);
    return { id, extended: true, rtr: false, error: false, fd: false, data, channel: "can1", timestampMs: undefined };
  };

  it("matches by PGN whatever the priority and source address, and tags the source address", () => {
    const decoder = new FrameDecoder(db, config({ j1939: true }), () => 0);
    const points = run(decoder, [frame(0x0cf00400, 1000), frame(0x18f00417, 1500), frame(0x0c00ff27, 600)]);
    expect(points.filter((p) => p.metric === "EEC1.EngineSpeed").map((p) => [p.value, p.tags])).toEqual([
      [1000, { bus: "can1", source_address: "0" }],
      [1500, { bus: "can1", source_address: "23" }],
    ]);
    // PDU1 (PF < 240): the destination byte is not part of the PGN.
    expect(points.filter((p) => p.metric === "TSC1.RequestedSpeed").map((p) => [p.value, p.tags?.source_address])).toEqual([[600, "39"]]);
  });

  it("keeps on_change state per source address", () => {
    const decoder = new FrameDecoder(db, config({ j1939: true, defaults: { on_change: true } }), () => 0);
    const points = run(decoder, [frame(0x0cf00400, 1000), frame(0x0cf00401, 1000), frame(0x0cf00400, 1000)]);
    expect(points.filter((p) => p.metric === "EEC1.EngineSpeed").map((p) => p.tags?.source_address)).toEqual(["0", "1"]);
  });

  it("without j1939, only the exact id matches", () => {
    const points = run(new FrameDecoder(db, config(), () => 0), [frame(0x0cf004fe, 1000), frame(0x0cf00400, 1000)]);
    expect(series(points, "EEC1.EngineSpeed")).toEqual([1000]);
  });
});

describe("runtime configure", () => {
  it("applies runtime-tunable options to a running adapter", async () => {
    const harness = new AdapterHarness({ configDir: `${import.meta.dirname}/../../fixtures/can` });
    const adapter = harness.create(can, { interface: "candump", file: "savvycan/candump.log", speed: 1, health_interval: 0 });
    await adapter.start();
    expect(await adapter.configure?.({ raw: "all", max_rate: "2Hz" })).toEqual({ changed: ["raw", "max_rate"] });
    await harness.waitForPoints(10);
    expect(harness.points[0].metric).toMatch(/^raw\./);
    await expect(adapter.configure?.({ raw: "sometimes" })).rejects.toThrow();
    await adapter.stop();
  });
});
