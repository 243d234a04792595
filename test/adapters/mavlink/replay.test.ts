/** tlog replay through the whole adapter: the ArduSub capture end to end, pacing, backpressure, loop. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import mavlink from "../../../adapters/mavlink/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { ARDUSUB_TLOG, byMetric, FIXTURES, invalidPoints, msgid, readTlogRecords, tlogBytes } from "./helpers.js";

const records = readTlogRecords();
const scratch = mkdtempSync(join(tmpdir(), "mavlink-replay-"));
const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(started.map((adapter) => adapter.stop()));
});

/** The capture's first `seconds` of records, as a tlog of its own. */
function sliceTlog(name: string, seconds: number): { path: string; frames: number; spanMs: number } {
  const first = records[0].timestampUs;
  const slice = records.filter((record) => record.timestampUs - first <= seconds * 1e6);
  const path = join(scratch, name);
  writeFileSync(path, tlogBytes(slice));
  return { path, frames: slice.length, spanMs: (slice[slice.length - 1].timestampUs - first) / 1000 };
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function run(harness: AdapterHarness, options: Record<string, unknown>) {
  const adapter = harness.create(mavlink, { health_interval: 0, ...options });
  started.push(adapter);
  await adapter.start();
  return adapter;
}

describe("MAVLink tlog replay", () => {
  it("replays the ArduSub capture end to end at speed=max with the capture's timestamps", async () => {
    const harness = new AdapterHarness();
    const adapter = await run(harness, { connection: `tlog://${ARDUSUB_TLOG}?speed=max` });
    await harness.waitForFinished(20_000);
    await adapter.stop();
    expect(harness.counters.get("crc_errors")).toBe(4);
    expect(harness.points.length).toBeGreaterThan(200_000);
    expect(invalidPoints(harness.points)).toEqual([]);
    const firstMs = records[0].timestampUs / 1000;
    const lastMs = records[records.length - 1].timestampUs / 1000;
    for (const point of [harness.points[0], harness.points[harness.points.length - 1]]) {
      expect(point.timestamp).toBeGreaterThanOrEqual(firstMs);
      expect(point.timestamp).toBeLessThanOrEqual(lastMs);
    }
    expect(byMetric(harness.points, "attitude.roll")).toHaveLength(5245);
    expect(byMetric(harness.points, "global_position_int.relative_alt").length).toBeGreaterThan(0);
    // The end is finished(), not "down": a finished replay is not a fault on the dashboard.
    expect(harness.finishedCalled).toBe(true);
    expect(harness.states.map((s) => s.state)).toEqual(["connecting", "up"]);
  });

  it("replays pymavlink's BATTERY_STATUS capture: one frame decoded, the trailing non-frame bytes counted", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = await run(harness, { connection: "tlog://capture.mav2.battery_status.tlog?speed=max" });
    await harness.waitForFinished();
    await adapter.stop();
    expect(byMetric(harness.points, "battery_status.voltages.0").map((p) => p.value)).toEqual([12.587]);
    expect(byMetric(harness.points, "battery_status.battery_remaining").map((p) => p.value)).toEqual([100]);
    const skipped = ["bytes_discarded", "truncated_frames", "crc_errors"].reduce((sum, name) => sum + (harness.counters.get(name) ?? 0), 0);
    expect(skipped).toBeGreaterThan(0);
  });

  it("resolves a relative path against the config folder and re-stamps on request", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = await run(harness, { connection: "tlog://ardusub_small.tlog?speed=max", restamp: true, include: ["HEARTBEAT"] });
    await harness.waitForFinished(20_000);
    await adapter.stop();
    expect(harness.points.length).toBeGreaterThan(1000);
    expect(harness.points.every((point) => point.timestamp === undefined)).toBe(true);
  });

  it("configure changes what becomes points while running", async () => {
    const { path } = sliceTlog("configure.tlog", 20);
    const harness = new AdapterHarness();
    const adapter = await run(harness, { connection: `tlog://${path}?speed=4`, include: ["ATTITUDE"] });
    await harness.waitForPoints(50);
    expect(mavlink.runtimeTunable).toEqual(["include", "exclude", "rates", "angles"]);
    expect(await adapter.configure!({ include: ["VFR_HUD"] })).toEqual({ changed: ["include"] });
    const switched = harness.points.length;
    await waitUntil(() => harness.points.slice(switched).some((p) => p.metric.startsWith("vfr_hud.")));
    await adapter.stop();
    // From the first VFR_HUD point on (the new decoder's first), nothing else.
    const after = harness.points.slice(harness.points.findIndex((p) => p.metric.startsWith("vfr_hud.")));
    expect(after.length).toBeGreaterThan(1);
    expect(after.every((p) => p.metric.startsWith("vfr_hud."))).toBe(true);
  });

  it("fails start() clearly when the file does not exist", async () => {
    const harness = new AdapterHarness({ configDir: scratch });
    const adapter = harness.create(mavlink, { connection: "tlog://missing.tlog" });
    await expect(adapter.start()).rejects.toThrow(/missing\.tlog/);
    await adapter.stop();
  });

  it("paces by capture time × speed", async () => {
    const { path, spanMs } = sliceTlog("pace.tlog", 1.5);
    for (const speed of [1, 3]) {
      const harness = new AdapterHarness();
      const begin = performance.now();
      const adapter = await run(harness, { connection: `tlog://${path}?speed=${speed}` });
      await harness.waitForPoints(1);
      const firstAfter = performance.now() - begin;
      await harness.waitForFinished(10_000);
      const took = performance.now() - begin;
      await adapter.stop();
      expect(firstAfter).toBeLessThan(spanMs / speed / 3);
      expect(took).toBeGreaterThan((spanMs / speed) * 0.9);
      expect(took).toBeLessThan((spanMs / speed) * 1.3 + 300);
      expect(harness.batches.length).toBeGreaterThan(10); // points flow as the capture did, not in one lump
    }
  });

  it("stops reading while emit() says the queue is full and resumes on drained()", async () => {
    const harness = new AdapterHarness({ highWater: 3000 });
    const adapter = await run(harness, { connection: `tlog://${ARDUSUB_TLOG}?speed=max` });
    await harness.waitForPoints(3000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whileFull = harness.points.length;
    // At most one batch beyond the high-water mark: the adapter waits instead of reading on.
    expect(whileFull).toBeLessThan(3000 + 2100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.points.length).toBe(whileFull);
    const releaser = setInterval(() => harness.release(), 5);
    await harness.waitForFinished(20_000);
    clearInterval(releaser);
    await adapter.stop();
    expect(harness.points.length).toBeGreaterThan(200_000);
  });

  it("loop=true on a file without a valid frame ends the replay with a reason instead of re-reading it forever", async () => {
    const path = join(scratch, "no-frames.tlog");
    writeFileSync(path, Buffer.alloc(4096, 0x55)); // a capture that never got a frame: no start byte at all
    const harness = new AdapterHarness();
    const adapter = await run(harness, { connection: `tlog://${path}?loop=true` });
    await harness.waitForFinished(2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await adapter.stop();
    expect(harness.points).toEqual([]);
    // Read once, not once per spin of a hot loop.
    expect(harness.counters.get("bytes_discarded")).toBe(4096);
    expect(harness.states.at(-1)).toMatchObject({
      state: "down",
      detail: expect.stringMatching(/no-frames\.tlog: no valid MAVLink frame/),
    });
  });

  it("loop=true at speed=1 keeps pace across passes: a one-frame capture does not burst", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = await run(harness, { connection: "tlog://capture.mav2.battery_status.tlog?speed=1&loop=true" });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await adapter.stop();
    // One pass a second (the capture gives no interval of its own), not thousands.
    const cells = byMetric(harness.points, "battery_status.voltages.0");
    expect(cells.length).toBeGreaterThanOrEqual(1);
    expect(cells.length).toBeLessThanOrEqual(2);
    for (let i = 1; i < cells.length; i++) expect((cells[i].timestamp as number) - (cells[i - 1].timestamp as number)).toBe(1000);
  });

  it("loops with timestamps that keep going forward", async () => {
    const { path } = sliceTlog("loop.tlog", 3);
    const harness = new AdapterHarness();
    const adapter = await run(harness, { connection: `tlog://${path}?speed=max&loop=true`, include: ["HEARTBEAT"] });
    const first = records[0].timestampUs;
    const perPass = records.filter(
      (r) => r.timestampUs - first <= 3e6 && msgid(r.frame) === 0 && r.frame[5] === 1 && r.frame[6] === 1,
    ).length;
    const autopilotBeats = () =>
      byMetric(harness.points, "heartbeat.custom_mode").filter((p) => p.tags?.system_id === "1" && p.tags.component_id === "1");
    await waitUntil(() => autopilotBeats().length >= perPass * 3);
    await adapter.stop();
    expect(harness.finishedCalled).toBe(false);
    const stamps = autopilotBeats().map((p) => p.timestamp as number);
    expect(stamps.length).toBeGreaterThanOrEqual(perPass * 3);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
  });
});
