/**
 * `durability: spill` against SIGKILL, with a real bridge process and the local gateway: a MAVLink
 * tlog replayed at speed=max into a gateway slowed down by latency (so most points are still queued),
 * SIGKILL well after the replay ended, then a restart without adapters replays the spool. Every point
 * of the capture must reach the gateway (acknowledged before the kill, or delivered after), and the
 * duplicates are bounded by the frames in flight at the kill. And a clean stop (SIGTERM) in the
 * middle of a backlog on a link that keeps dropping: the next start replays exactly the pending
 * count of the stop line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, type StoredPoint, startGateway } from "../../src/gateway/server.js";
import { repoRoot, spawnChild, waitFor } from "../helpers/child.js";
import { tempDir } from "./queue-helpers.js";

const TLOG = join(repoRoot, "test/fixtures/mavlink/ardusub_small.tlog");
const FRAME_MAX_POINTS = 4000;
/** ack_window_frames × max_unacked_windows: the frames that can be sent and not yet acknowledged. */
const FRAMES_IN_FLIGHT = 2 * 1;

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

function config(dir: string, gateway: Gateway, durability: string, withAdapter: boolean): string {
  const file = join(dir, `${withAdapter ? "replay" : "drain"}-${durability}.yaml`);
  const lines = [
    "plexus:",
    "  api_key: plx_test00000000000000000000000000000",
    "  source_id: crash",
    `  url: ${gateway.url}`,
    `  frame_max_points: ${FRAME_MAX_POINTS}`,
    "  ack_window_frames: 2",
    "  max_unacked_windows: 1",
    `state_dir: ${join(dir, "state")}`,
    `queue: { durability: ${durability} }`,
    "shutdown_timeout: 20s",
    // Only the capture's points: the bridge's own telemetry would not be in the reference run, and
    // the status server's default port may be taken by a neighbouring test.
    "telemetry: false",
    "status: false",
  ];
  if (withAdapter)
    lines.push("adapters:", "  fc:", "    type: mavlink", `    connection: tlog://${TLOG}?speed=max`, "    health_interval: 0");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const keyOf = (p: StoredPoint) => JSON.stringify([p.metric, p.value, p.timestamp, p.tags]);

function multiset(points: StoredPoint[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(keyOf(p), (counts.get(keyOf(p)) ?? 0) + 1);
  return counts;
}

/** The capture as the bridge delivers it with nothing going wrong: the reference. */
async function referenceRun(dir: string): Promise<Map<string, number>> {
  const gateway = await startGateway();
  gateways.push(gateway);
  const child = spawnChild(["cli", "run", "-c", config(dir, gateway, "memory", true)]);
  await waitFor(() => child.stderr.some((l) => l.includes("fc: finished")), 60_000, "the replay to end");
  child.process.kill("SIGTERM");
  expect(await child.exited).toBe(0);
  expect(child.stderr.join("\n")).toMatch(/stopped: crash acknowledged=\d+ pending=0 dropped=0 invalid=0/);
  return multiset(gateway.points);
}

describe("durability: spill survives SIGKILL (a real bridge process, the local gateway)", () => {
  it("delivers every point of a tlog replay across a SIGKILL and a restart, with duplicates bounded by the frames in flight", async () => {
    const dir = tempDir();
    const reference = await referenceRun(dir);
    const total = [...reference.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(50_000);

    // 150 ms each way: one window per 300 ms, so most of the capture is still queued at the kill.
    const gateway = await startGateway({ latencyMs: 150 });
    gateways.push(gateway);
    const first = spawnChild(["cli", "run", "-c", config(dir, gateway, "spill", true)]);
    await waitFor(() => first.stderr.some((l) => l.includes("fc: finished")), 60_000, "the replay to end");
    // Well past the write-behind interval (50 ms).
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.process.kill("SIGKILL");
    await first.exited;
    const beforeKill = gateway.points.length;
    expect(beforeKill).toBeLessThan(total);

    const second = spawnChild(["cli", "run", "-c", config(dir, gateway, "spill", false)]);
    await waitFor(() => second.stderr.some((l) => /replaying \d+ points/.test(l)), 20_000, "the spool replay");
    const replayed = Number(/replaying (\d+) points/.exec(second.stderr.join("\n"))![1]);
    // The spool held everything not acknowledged before the kill (and what was in flight).
    expect(beforeKill + replayed).toBeGreaterThanOrEqual(total);
    // Done when as many points as the two runs account for have arrived (the assertions below say what is missing, if any).
    await waitFor(() => gateway.points.length >= beforeKill + replayed, 150_000, "the replay to be delivered").catch(() => {});
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const got = multiset(gateway.points);
    let missing = 0;
    let duplicates = 0;
    for (const [key, n] of reference) missing += Math.max(0, n - (got.get(key) ?? 0));
    for (const [key, n] of got) duplicates += Math.max(0, n - (reference.get(key) ?? 0));
    const extra = [...got.keys()].filter((key) => !reference.has(key));
    const missed = [...reference.keys()].filter((key) => (got.get(key) ?? 0) < reference.get(key)!);
    expect({ missing, extra: extra.length, samples: [...missed.slice(0, 5), ...extra.slice(0, 5)] }).toEqual({
      missing: 0,
      extra: 0,
      samples: [],
    });
    console.log(
      `spill SIGKILL: ${total} points, ${beforeKill} at the gateway before the kill, ${replayed} replayed, ${missing} missing, ${duplicates} duplicates (bound ${FRAMES_IN_FLIGHT * FRAME_MAX_POINTS})`,
    );
    // Only the frames sent and not acknowledged at the kill can come twice.
    expect(duplicates).toBeLessThanOrEqual(FRAMES_IN_FLIGHT * FRAME_MAX_POINTS);
    // The clean stop leaves nothing behind: a third start replays nothing.
    expect(second.stderr.join("\n")).toMatch(/stopped: crash acknowledged=\d+ pending=0 dropped=0 invalid=0/);
    const third = spawnChild(["cli", "run", "-c", config(dir, gateway, "spill", false)]);
    await waitFor(() => third.stderr.some((l) => l.includes("running 0 adapter(s)")), 20_000, "the third start");
    third.process.kill("SIGTERM");
    expect(await third.exited).toBe(0);
    expect(third.stderr.join("\n")).not.toMatch(/replaying/);
    expect(gateway.points.length).toBe(got.size === 0 ? 0 : [...got.values()].reduce((a, b) => a + b, 0));
  }, 300_000);

  it("after SIGTERM with a link that keeps dropping, the next start replays exactly the stop line's pending points, and every point arrives", async () => {
    const dir = tempDir();
    const gateway = await startGateway({ latencyMs: 50 });
    gateways.push(gateway);
    const file = join(dir, "seq.yaml");
    const base = [
      "plexus:",
      "  api_key: plx_test00000000000000000000000000000",
      "  source_id: stop",
      `  url: ${gateway.url}`,
      "  frame_max_points: 700",
      "  reconnect_min: 100ms",
      "  reconnect_max: 300ms",
      `state_dir: ${join(dir, "state")}`,
      "shutdown_timeout: 300ms",
    ];
    writeFileSync(
      file,
      [...base, "adapters:", "  gen:", "    type: testseq", "    count: 60000", "    batch: 3000", "    interval: 30ms", ""].join("\n"),
    );
    const first = spawnChild(["cli", "run", "-c", file]);
    // The gateway drops the connection every 1.5 s: batches in flight go back, again and again.
    const drops = setInterval(() => gateway.dropConnections(), 1500);
    await waitFor(() => first.stderr.some((l) => l.includes("gen: finished")), 60_000, "the adapter to finish");
    // Stop in the middle of delivering the backlog (about 10,000 points/s through this link).
    await waitFor(() => gateway.points.length > 20_000, 60_000, "a third of the points delivered");
    clearInterval(drops);
    first.process.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const stop = /stopped: stop acknowledged=(\d+) pending=(\d+) dropped=0 invalid=0/.exec(first.stderr.join("\n"));
    expect(stop).not.toBeNull();
    const pendingAtStop = Number(stop![2]);
    expect(pendingAtStop).toBeGreaterThan(0);

    const drain = join(dir, "drain.yaml");
    writeFileSync(drain, `${base.join("\n")}\n`);
    const before = gateway.points.length;
    const second = spawnChild(["cli", "run", "-c", drain]);
    await waitFor(() => second.stderr.some((l) => /replaying \d+ points/.test(l)), 20_000, "the spool replay");
    expect(second.stderr.join("\n")).toMatch(new RegExp(`replaying ${pendingAtStop} points`));
    await waitFor(() => gateway.points.length >= before + pendingAtStop, 60_000, "the replay to be delivered");
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.stderr.join("\n")).toMatch(new RegExp(`stopped: stop acknowledged=${pendingAtStop} pending=0 dropped=0 invalid=0`));
    const values = new Set(gateway.points.filter((p) => p.metric === "gen.seq").map((p) => p.value as number));
    expect(values.size).toBe(60_000);
  }, 180_000);
});
