/**
 * Serial over a real pseudo-terminal pair made by socat (apt package socat): the adapter opens one
 * end through serialport, the test writes real frames into the other. Killing socat is the
 * unplug; starting it again with the same links is the replug.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import mavlink from "../../../adapters/mavlink/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { hasSocat, NEEDS_SOCAT } from "../../helpers/socat.js";
import { byMetric, invalidPoints, readTlogRecords } from "./helpers.js";

const records = readTlogRecords().slice(0, 600);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The point count once it has stopped growing (the last bytes may still be in the pty). */
async function settledCount(harness: AdapterHarness): Promise<number> {
  let last = -1;
  while (harness.points.length !== last) {
    last = harness.points.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return last;
}

async function ptyPair(dir: string): Promise<ChildProcess> {
  const socat = spawn("socat", [`pty,raw,echo=0,link=${dir}/vehicle`, `pty,raw,echo=0,link=${dir}/bridge`], { stdio: "ignore" });
  await until(() => existsSync(`${dir}/vehicle`) && existsSync(`${dir}/bridge`), "socat's pty links", 5000);
  return socat;
}

async function stopSocat(socat: ChildProcess) {
  if (socat.exitCode !== null || socat.signalCode !== null) return;
  const exited = new Promise((resolve) => socat.once("exit", resolve));
  socat.kill("SIGTERM");
  await exited;
}

async function writeFrames(path: string, frames: Buffer[]) {
  const file = await open(path, "r+");
  try {
    const bytes = Buffer.concat(frames);
    // A serial link delivers bytes in arbitrary pieces.
    for (let at = 0; at < bytes.length; at += 512) await file.write(bytes.subarray(at, at + 512));
  } finally {
    await file.close();
  }
}

describe.skipIf(!hasSocat)(`MAVLink over serial (socat pty pair; ${NEEDS_SOCAT})`, () => {
  it("stop() while the port is still opening returns and closes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mavlink-serial-"));
    const socat = await ptyPair(dir);
    cleanups.push(() => stopSocat(socat));
    const harness = new AdapterHarness();
    const adapter = harness.create(mavlink, { connection: `serial://${dir}/bridge?baud=115200`, health_interval: 0 });
    await adapter.start(); // the open is under way, not done
    const stopped = await Promise.race([adapter.stop().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2000))]);
    expect(stopped).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.states.some((s) => s.state === "up")).toBe(false);
  });

  it("reads frames from the port and survives an unplug and replug", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mavlink-serial-"));
    let socat = await ptyPair(dir);
    cleanups.push(() => stopSocat(socat));
    const harness = new AdapterHarness();
    const adapter = harness.create(mavlink, { connection: `serial://${dir}/bridge?baud=115200`, health_interval: 0 });
    cleanups.push(() => adapter.stop());
    await adapter.start();
    await until(() => harness.states.some((s) => s.state === "up"), "port open");

    const frames = records.map((r) => r.frame);
    await writeFrames(`${dir}/vehicle`, frames);
    await until(
      () => byMetric(harness.points, "attitude.roll").length === frames.filter((f) => f[7] === 30 && f[8] === 0).length,
      "attitude points",
    );
    const firstRound = await settledCount(harness);
    expect(invalidPoints(harness.points)).toEqual([]);

    // Unplug.
    await stopSocat(socat);
    await until(() => harness.states.at(-1)?.state !== "up", `the adapter noticing the unplug ${JSON.stringify(harness.states)}`);
    // Replug with the same device path.
    socat = await ptyPair(dir);
    await until(() => harness.states.at(-1)?.state === "up", "reopen after replug", 15_000);
    await writeFrames(`${dir}/vehicle`, frames);
    await until(() => harness.points.length >= 2 * firstRound, "points after replug");
    await settledCount(harness);
    expect(harness.points.length).toBe(2 * firstRound);
    expect(harness.states.map((s) => s.state)).toContain("down");
  });
});
