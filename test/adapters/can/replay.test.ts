/**
 * candump replay through the whole adapter (options → DBC → decoder → emit), on real captures:
 * the SavvyCAN log (12,974 frames, 180 ids, MIT) and the real VW MQB frames laid out as a log.
 * Expected values come from an independent reading of the log lines with Buffer methods.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameDecoder } from "../../../adapters/can/decode.js";
import can from "../../../adapters/can/index.js";
import { CanRuntime } from "../../../adapters/can/runtime.js";
import { CandumpReplay } from "../../../adapters/can/transport/candump-replay.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/can");
const SAVVY = join(FIXTURES, "savvycan/candump.log");

/** The log read the simple way: id and payload per line. */
function readLog(path: string) {
  return readFileSync(path, "latin1")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [, stamp, , frame] = /^\((\S+)\) (\S+) (\S+)$/.exec(line) as RegExpExecArray;
      const [id, hex] = frame.split("#");
      return { time: Number(stamp), id: Number.parseInt(id, 16), data: Buffer.from(hex, "hex") };
    });
}

const values = (points: PointInput[], metric: string) => points.filter((p) => p.metric === metric).map((p) => p.value);
const last = (points: PointInput[], metric: string) => values(points, metric).at(-1);

async function replay(options: Record<string, unknown>, harnessOptions: ConstructorParameters<typeof AdapterHarness>[0] = {}) {
  const harness = new AdapterHarness({ configDir: FIXTURES, ...harnessOptions });
  const adapter = harness.create(can, { interface: "candump", speed: "max", ...options });
  await adapter.start();
  await harness.waitForFinished(20_000);
  await adapter.stop();
  return harness;
}

/** A candump replay of `file: -` with every frame raw, started; the test writes the log into the returned stream. */
async function pipedReplay(harness: AdapterHarness, channels?: string[]): Promise<PassThrough> {
  const decoder = new FrameDecoder(
    undefined,
    { naming: "message", labels: true, raw: "all", j1939: false, exclude: [], defaults: {}, signals: {} },
    () => performance.now(),
  );
  const runtime = new CanRuntime(decoder, harness.context, [], 0);
  const input = new PassThrough();
  const settings = { file: "-", speed: "max" as const, loop: false, timestamps: "capture" as const, channels };
  await new CandumpReplay(settings, runtime, harness.context, () => input).start();
  return input;
}

describe("SavvyCAN capture end to end", () => {
  const frames = readLog(SAVVY);
  let harness: AdapterHarness;
  beforeAll(async () => {
    harness = await replay({ file: "savvycan/candump.log", dbc: "savvycan/probe.dbc", health_interval: "1h" });
  });

  it("counts every frame and every unknown one", () => {
    expect(frames).toHaveLength(12974);
    const known = new Set([0x102, 0x21a, 0x28c]);
    expect(harness.counters.get("frames")).toBe(12974);
    expect(harness.counters.get("unknown_frames")).toBe(frames.filter((f) => !known.has(f.id)).length);
    expect(harness.counters.get("malformed_lines")).toBeUndefined();
    expect(harness.finishedCalled).toBe(true);
  });

  it("reports bus health at the end: 177 unknown ids out of 180", () => {
    expect(new Set(frames.map((f) => f.id)).size).toBe(180);
    expect(last(harness.points, "bus.unknown_ids")).toBe(177);
    expect(last(harness.points, "bus.frames")).toBe(12974);
    expect(last(harness.points, "bus.error_frames")).toBe(0);
    expect(harness.points.find((p) => p.metric === "bus.frames")?.tags).toEqual({ bus: "vcan0" });
  });

  it("decodes Intel, Motorola, signed, multiplexed and 64-bit signals as Buffer reads them", () => {
    const f102 = frames.filter((f) => f.id === 0x102);
    expect(values(harness.points, "Probe_102.Word0")).toEqual(f102.map((f) => f.data.readUInt16LE(0)));
    expect(values(harness.points, "Probe_102.Speed")).toEqual(f102.map((f) => f.data.readUInt16BE(2) * 0.01));
    expect(values(harness.points, "Probe_102.Signed5")).toEqual(f102.map((f) => f.data.readInt8(5)));
    const f21a = frames.filter((f) => f.id === 0x21a);
    expect(values(harness.points, "Probe_21A.PageEven")).toEqual(
      f21a.filter((f) => (f.data[0] & 3) === 0).map((f) => f.data.readInt16BE(2) * 0.5 - 10),
    );
    expect(values(harness.points, "Probe_21A.PageOdd")).toEqual(
      f21a.filter((f) => (f.data[0] & 3) === 1).map((f) => f.data.readUInt16LE(2)),
    );
    expect(values(harness.points, "Probe_21A.Page")).toHaveLength(f21a.length);
    const f28c = frames.filter((f) => f.id === 0x28c);
    expect(values(harness.points, "Probe_28C.All64")).toEqual(f28c.map((f) => Number(f.data.readBigUInt64LE(0))));
  });

  it("sends value-table labels only when they change", () => {
    const flags = frames.filter((f) => f.id === 0x102).map((f) => (f.data[4] & 1 ? "on" : "off"));
    const changes = flags.filter((flag, i) => i === 0 || flag !== flags[i - 1]);
    expect(values(harness.points, "Probe_102.Flag.label")).toEqual(changes);
    expect(values(harness.points, "Probe_102.Flag")).toHaveLength(flags.length);
  });

  it("passes capture time through: relative log times anchored at replay start, 1 s apart as captured", () => {
    const speeds = harness.points.filter((p) => p.metric === "Probe_102.Speed");
    const f102 = frames.filter((f) => f.id === 0x102);
    const first = speeds[0].timestamp as number;
    expect(Math.abs(first - Date.now())).toBeLessThan(60_000);
    for (const [i, p] of speeds.entries()) expect((p.timestamp as number) - first).toBeCloseTo((f102[i].time - f102[0].time) * 1000, 6);
    expect(speeds[0].tags).toEqual({ bus: "vcan0" });
  });
});

describe("replay options", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "can-replay-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("raw: none / unknown / all", async () => {
    const count = (h: AdapterHarness) => h.points.filter((p) => p.metric.startsWith("raw.")).length;
    const base = { file: "savvycan/candump.log", dbc: "savvycan/probe.dbc", health_interval: 0 };
    expect(count(await replay({ ...base, raw: "none" }))).toBe(0);
    const unknown = await replay({ ...base, raw: "unknown" });
    expect(count(unknown)).toBe(unknown.counters.get("unknown_frames"));
    expect(unknown.points.find((p) => p.metric === "raw.21A")).toBeUndefined();
    expect(unknown.points.find((p) => p.metric === "raw.23A")).toMatchObject({ value: "0037001200000000", tags: { bus: "vcan0" } });
    expect(count(await replay({ ...base, raw: "all" }))).toBe(12974);
  });

  it("timestamps: restamp leaves the time to the pipeline", async () => {
    const harness = await replay({ file: "savvycan/candump.log", raw: "all", timestamps: "restamp", health_interval: 0 });
    expect(harness.points.every((p) => p.timestamp === undefined)).toBe(true);
  });

  it("absolute (epoch) log times pass through unchanged", async () => {
    await writeFile(join(dir, "abs.log"), "(1594172461.968006) vcan0 0C8#F000000000000000\n(1594172462.126542) vcan0 1F4#01020304\n");
    const harness = await replay({ file: join(dir, "abs.log"), dbc: "cantools_dbc/socialledge.dbc", health_interval: 0 });
    expect(harness.points.find((p) => p.metric === "SENSOR_SONARS.SENSOR_SONARS_err_count")).toMatchObject({
      value: 15,
      timestamp: 1594172461968,
    });
    expect(harness.points.find((p) => p.metric === "IO_DEBUG.IO_DEBUG_test_enum.label")).toMatchObject({
      value: "IO_DEBUG_test2_enum_two",
      timestamp: 1594172462127,
    });
  });

  it("paces by capture time × speed", async () => {
    const lines = Array.from({ length: 5 }, (_, i) => `(${(i * 0.1).toFixed(6)}) can0 123#0${i}`);
    await writeFile(join(dir, "paced.log"), `${lines.join("\n")}\n`);
    const timed = async (speed: number) => {
      const started = performance.now();
      const harness = await replay({ file: join(dir, "paced.log"), raw: "all", speed, health_interval: 0 });
      expect(harness.points).toHaveLength(5);
      return performance.now() - started;
    };
    const normal = await timed(1);
    const fast = await timed(4);
    expect(normal).toBeGreaterThanOrEqual(390);
    expect(fast).toBeLessThan(normal);
    expect(fast).toBeGreaterThanOrEqual(95);
  });

  it("waits for drained() when emit() says the queue is full", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES, highWater: 500 });
    const adapter = harness.create(can, {
      interface: "candump",
      file: "savvycan/candump.log",
      raw: "all",
      speed: "max",
      health_interval: 0,
    });
    await adapter.start();
    await harness.waitForPoints(500);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const held = harness.points.length;
    expect(held).toBeLessThan(500 + 2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.points.length).toBe(held);
    expect(harness.finishedCalled).toBe(false);
    while (!harness.finishedCalled) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await adapter.stop();
    expect(harness.points).toHaveLength(12974);
  });

  it("stop() returns promptly while the replay waits for a queue that never drains", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES, highWater: 10 });
    const adapter = harness.create(can, {
      interface: "candump",
      file: "savvycan/candump.log",
      raw: "all",
      speed: "max",
      health_interval: 0,
    });
    await adapter.start();
    await harness.waitForPoints(10);
    const started = performance.now();
    await adapter.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(harness.finishedCalled).toBe(false);
  });

  it("loops with timestamps that keep increasing, until stopped", async () => {
    await writeFile(join(dir, "loop.log"), "(0.000000) can0 123#01\n(0.010000) can0 123#02\n(0.020000) can0 123#03\n");
    const harness = new AdapterHarness({ configDir: dir });
    const adapter = harness.create(can, { interface: "candump", file: "loop.log", raw: "all", loop: true, speed: 4, health_interval: 0 });
    await adapter.start();
    await harness.waitForPoints(10);
    await adapter.stop();
    const stamps = harness.points.map((p) => p.timestamp as number);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
    expect(harness.points.slice(0, 6).map((p) => p.value)).toEqual(["01", "02", "03", "01", "02", "03"]);
    expect(stamps[3] - stamps[0]).toBe(30);
    expect(harness.finishedCalled).toBe(false);
  });

  it("skips malformed lines (counted, logged with file:line), keeps decoding, reads FD and error frames", async () => {
    const fd = `${"02".padEnd(16, "0")}${"01".padEnd(16, "0")}${"00".repeat(48)}`;
    const log = [
      "(0.000) vcan0 12333##0" + fd,
      "garbage line",
      "(0.001) vcan0 20000080#0000000000000000",
      "(0.002) vcan0 1F4#0102",
      "(0.003) vcan0 12333##0ZZ",
      "(0.004) vcan0 064#01",
    ].join("\n");
    await writeFile(join(dir, "mixed.log"), log);
    const harness = await replay({ file: join(dir, "mixed.log"), dbc: "cantools_dbc/foobar.dbc", health_interval: "1h" });
    expect(harness.counters.get("malformed_lines")).toBe(2);
    expect(harness.log.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      `skipping malformed line ${join(dir, "mixed.log")}:2: bad CAN id "line"`,
      `skipping malformed line ${join(dir, "mixed.log")}:5: bad CAN FD data in "12333##0ZZ"`,
    ]);
    expect(last(harness.points, "CanFd.Fie")).toBe(2);
    expect(last(harness.points, "CanFd.Fas")).toBe(1);
    expect(last(harness.points, "bus.error_frames")).toBe(1);
    expect(harness.counters.get("error_frames")).toBe(1);
    expect(harness.counters.get("frames")).toBe(4);
    expect(harness.finishedCalled).toBe(true);
  });

  it("applies id filters and the channels list on receipt", async () => {
    await writeFile(
      join(dir, "two-buses.log"),
      "(0.0) can0 100#01\n(0.0) can0 1FF#02\n(0.0) can1 100#03\n(0.0) can0 200#04\n(0.0) can0 00000100#05\n",
    );
    const harness = await replay({
      file: join(dir, "two-buses.log"),
      raw: "all",
      channels: ["can0"],
      filters: [{ id: 0x100, mask: 0x700 }],
      health_interval: 0,
    });
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["raw.100", "01"],
      ["raw.1FF", "02"],
    ]);
    expect(harness.counters.get("filtered_frames")).toBe(2);
  });

  it("fails start() clearly when the file is missing", async () => {
    const harness = new AdapterHarness({ configDir: dir });
    const adapter = harness.create(can, { interface: "candump", file: "missing.log" });
    await expect(adapter.start()).rejects.toThrow(/ENOENT.*missing\.log/);
    await adapter.stop();
  });

  it("reads a piped stream (file: -) the same way", async () => {
    const harness = new AdapterHarness({ configDir: dir });
    const input = await pipedReplay(harness);
    input.write("(1.0) can0 123#AA\n(1.5) can0 12");
    input.end("4#BB\n");
    await harness.waitForFinished();
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["raw.123", "AA"],
      ["raw.124", "BB"],
    ]);
    expect((harness.points[1].timestamp as number) - (harness.points[0].timestamp as number)).toBe(500);
  });
});

it("reads the log as UTF-8: an interface named cän0 is the bus tag cän0, even split across chunks", async () => {
  const harness = new AdapterHarness({ configDir: FIXTURES });
  const input = await pipedReplay(harness, ["cän0"]);
  const bytes = Buffer.from("(1.0) cän0 123#AA\n(1.1) cän0 124#BB\n", "utf8");
  const split = bytes.indexOf(0xa4); // the second byte of "ä" (c3 a4)
  input.write(bytes.subarray(0, split));
  input.end(bytes.subarray(split));
  await harness.waitForFinished();
  expect(harness.points.map((p) => [p.metric, p.value, p.tags?.bus])).toEqual([
    ["raw.123", "AA", "cän0"],
    ["raw.124", "BB", "cän0"],
  ]);
});

describe("the VW MQB demo replay (real frames, real opendbc DBC)", () => {
  it("decodes every frame and knows every id", async () => {
    const harness = await replay({ file: "vw_mqb_replay.log", dbc: "opendbc/vw_mqb.dbc", health_interval: 0 });
    expect(harness.counters.get("frames")).toBe(368);
    expect(harness.counters.get("unknown_frames")).toBeUndefined();
    expect(harness.counters.get("decode_errors")).toBeUndefined();
    expect(values(harness.points, "ESP_21.COUNTER")).toHaveLength(16);
    expect(values(harness.points, "LWI_01.LWI_Lenkradwinkel").every((v) => typeof v === "number" && v >= 0 && v <= 800)).toBe(true);
    expect(harness.points.find((p) => p.metric === "ESP_21.ESP_v_Signal")?.tags).toEqual({ bus: "can0" });
  });
});
