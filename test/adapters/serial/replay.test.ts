/**
 * Replays of a capture (`file:`) through the same framing and decoders as a live port: the real
 * ArduSub NMEA log (sentences inside Python log lines), pacing, looping, and backpressure.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import serial from "../../../adapters/serial/index.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { eventually } from "./pty-peer.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/serial");

describe("serial replay", () => {
  let adapter: Adapter | undefined;
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
  });
  const replay = async (harness: AdapterHarness, options: Record<string, unknown>) => {
    adapter = harness.create(serial, { file: "ardusub/nmea_log.txt", ...options });
    await adapter.start();
    return adapter;
  };

  it("replays the ArduSub log with the receiver's time, then says it is finished", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    await replay(harness, { speed: "max", time_source: "gps" });
    await harness.waitForFinished();
    const metric = (name: string) => harness.points.filter((p) => p.metric === name);
    expect(metric("rmc.latitude")).toHaveLength(129);
    expect(metric("gga.latitude")).toHaveLength(16);
    // Every GPHDT in this log has an empty heading: no value, not a zero.
    expect(metric("hdt.heading")).toHaveLength(0);
    expect(metric("rmc.latitude")[0]).toMatchObject({ value: 47 + 36.451786 / 60, timestamp: Date.parse("2023-09-01T22:56:44.620Z") });
    expect(metric("rmc.longitude")[0].value).toBeCloseTo(-(122 + 20.4723668 / 60), 12);
    expect(metric("gga.altitude")[0]).toMatchObject({ value: 8.378, timestamp: Date.parse("2023-09-01T22:56:45.000Z") });
    // The logger's own lines without a sentence (start, stop, one echo of a parsed GGA).
    expect(harness.counters.get("not_nmea_lines")).toBe(5);
    expect(harness.counters.get("bad_checksums") ?? 0).toBe(0);
    expect(harness.counters.get("frames")).toBe(279);
    expect(harness.states).toContainEqual({ state: "up", detail: expect.stringMatching(/replaying .*nmea_log\.txt/) });
  });

  it("paces by the sentences' time at speed N, and batches freely at max", async () => {
    const paced = new AdapterHarness({ configDir: FIXTURES });
    await replay(paced, { speed: 10 });
    await paced.waitForFinished();
    await adapter?.stop();
    const fast = new AdapterHarness({ configDir: FIXTURES });
    await replay(fast, { speed: "max" });
    await fast.waitForFinished();
    expect(paced.points.length).toBe(fast.points.length);
    // Paced: each fix (RMC every ~120 ms of capture time, 12 ms at speed 10) waits for its moment,
    // so it leaves on its own: 129 batches on an idle machine; a loaded one may merge a few.
    expect(paced.batches.length).toBeGreaterThan(40);
    expect(fast.batches.length).toBeLessThan(10);
  });

  it("loops, and stops reading while the queue is full", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES, highWater: 1000 });
    await replay(harness, { speed: "max", loop: true });
    await harness.waitForPoints(1000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = harness.points.length;
    // One more batch may have been decoded when the queue said stop, never the rest of the file.
    expect(held).toBeLessThan(1000 + 600);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.points.length).toBe(held);
    harness.release();
    // 129 RMC sentences per pass: a second pass started.
    await eventually(() => harness.points.filter((p) => p.metric === "rmc.latitude").length > 129, "the second pass");
    expect(harness.finishedCalled).toBe(false);
  });

  it("replays a CSV capture paced by the baud rate", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const dir = await mkdtemp(join(tmpdir(), "serial-replay-"));
    const file = join(dir, "capture.csv");
    await writeFile(file, "time,temp,rh\n1,21.5,40\n2,21.6,41\n");
    // 2400 baud: 240 bytes/s, so each 9-byte row is due ~40 ms after the one before.
    adapter = harness.create(serial, { file, format: "csv", baud: 2400 });
    await adapter.start();
    await harness.waitForFinished();
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["time", 1],
      ["temp", 21.5],
      ["rh", 40],
      ["time", 2],
      ["temp", 21.6],
      ["rh", 41],
    ]);
    expect(harness.batches.map((batch) => batch.length)).toEqual([3, 3]);
    await rm(dir, { recursive: true, force: true });
  });

  it("fails start on a missing file, naming it", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    adapter = harness.create(serial, { file: "no-such.log" });
    await expect(adapter.start()).rejects.toThrow(/no-such\.log/);
    adapter = undefined;
  });
});
