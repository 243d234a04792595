/** The WebSocket uplink against the local gateway (a real in-process server, the same code `plexus-bridge gateway` runs). */
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { makeUplink, plexusOptions, realQueue, tempDir, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
let uplink: Uplink | undefined;

afterEach(async () => {
  await uplink?.stop(0);
  await gateway?.close();
  uplink = undefined;
  gateway = undefined;
});

function seqPoints(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ metric: "seq", value: from + i, tags: { seq: String(from + i) } }));
}

describe("websocket uplink", () => {
  it("authenticates with device_auth, delivers every point and acknowledges it only after the pong", async () => {
    gateway = await startGateway();
    const clock = new BridgeClock();
    const q = realQueue("line-1", clock);
    const stateDir = tempDir();
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "line-1" }), source: q.queue, clock, stateDir });
    for (let i = 0; i < 20; i++) q.emit(seqPoints(i * 1000, 1000));
    uplink.start();
    await gateway.waitFor(() => gateway!.points.length >= 20_000, 10_000, "20000 points");
    await waitUntil(() => q.counters().acknowledged === 20_000, 5000, "all acknowledged");
    const auth = gateway.authFrame("line-1")!;
    expect(auth).toMatchObject({ type: "device_auth", source_id: "line-1", platform: "plexus-bridge", agent_version: "0.1.0-test" });
    expect(auth.install_id).toMatch(/^[0-9a-f]{32}$/);
    expect(auth.sensors).toEqual([{ name: "gen", description: "generator", metrics: ["gen.seq"], sample_rate: 1000 }]);
    const values = new Set(gateway.points.map((p) => p.value));
    expect(values.size).toBe(20_000);
    expect(gateway.points[0]).toMatchObject({ class: "metric", metric: "gen.seq", tags: { seq: "0" } });
    const stats = uplink.stats();
    expect(stats).toMatchObject({ status: "up", connected: true, pointsAcked: 20_000, clockSynced: true });
    expect(stats.framesSent).toBeGreaterThanOrEqual(2); // ≤ 10,000 points a frame
    expect(JSON.stringify(stats)).not.toContain("plx_testkey");
    // The install id is stable across restarts: a second uplink with the same state dir reuses it.
    await uplink.stop(1000);
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "line-1" }), source: q.queue, clock, stateDir });
    uplink.start();
    await gateway.waitFor(() => gateway!.connectionsOpened === 2 && gateway!.isConnected("line-1"), 5000, "reconnect");
    expect(gateway.authFrame("line-1")!.install_id).toBe(auth.install_id);
  });

  it("keeps frames within the limits and paces them at least frame_interval apart", async () => {
    const arrivals: number[] = [];
    gateway = await startGateway({ onPoints: () => arrivals.push(performance.now()) });
    const clock = new BridgeClock();
    const q = realQueue("pace", clock);
    uplink = makeUplink({
      options: plexusOptions({ url: gateway.url, source_id: "pace", frame_max_points: 1000, frame_interval: "10ms" }),
      source: q.queue,
      clock,
    });
    q.emit(seqPoints(0, 20_000));
    uplink.start();
    await gateway.waitFor(() => gateway!.points.length >= 20_000, 10_000, "points");
    expect(gateway.summary().get("pace")!.framesAccepted).toBe(20);
    const gaps = arrivals
      .slice(1)
      .map((t, i) => t - arrivals[i])
      .sort((a, b) => a - b);
    // Arrival times are taken on the event loop the bridge shares, so single gaps jitter; the
    // median shows the pacing, and the gateway's 0.5 ms rule never triggered.
    expect(gaps[gaps.length >> 1]).toBeGreaterThanOrEqual(9);
    expect(gaps[0]).toBeGreaterThan(0.5);
    expect(gateway.summary().get("pace")!.framesDroppedSilently).toBe(0);
  });

  it("adopts and persists the source_id the gateway assigns", async () => {
    // The spec lets the server answer with another (suffixed) id; the public gateway echoes it today.
    gateway = await startGateway({ assignSourceId: (requested) => (requested === "press" ? "press-7f3a" : requested) });
    const clock = new BridgeClock();
    const q = realQueue("press", clock);
    const stateDir = tempDir();
    const log = new MemoryLogger();
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "press" }), source: q.queue, clock, stateDir }, log);
    q.emit(seqPoints(0, 10));
    uplink.start();
    await gateway.waitFor(() => gateway!.points.length === 10, 5000, "points");
    expect(gateway.points[0].source_id).toBe("press-7f3a");
    expect(uplink.stats()).toMatchObject({ sourceId: "press", announcedSourceId: "press-7f3a" });
    expect(log.lines.some((l) => l.message.includes("assigned another source_id"))).toBe(true);
    await uplink.stop(1000);
    // The next run announces the adopted id from the start.
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "press" }), source: q.queue, clock, stateDir });
    uplink.start();
    await gateway.waitFor(() => gateway!.connectionsOpened === 2 && gateway!.isConnected("press-7f3a"), 5000, "reconnect");
    expect(gateway.authFrame("press-7f3a")!.source_id).toBe("press-7f3a");
  });

  it("auth rejected: a clear log line, backoff between attempts, no hot loop", async () => {
    gateway = await startGateway({ keys: ["plx_the_only_good_key_0000000000000"] });
    const clock = new BridgeClock();
    const q = realQueue("denied", clock);
    const log = new MemoryLogger();
    uplink = makeUplink(
      {
        options: plexusOptions({ url: gateway.url, source_id: "denied", reconnect_min: "300ms", reconnect_max: "5s" }),
        source: q.queue,
        clock,
      },
      log,
    );
    q.emit(seqPoints(0, 5));
    uplink.start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // 300 ms, 600 ms, 1.2 s (±25 %): at most 4 attempts in 2.5 s, never a loop.
    expect(gateway.connectionsOpened).toBeGreaterThanOrEqual(2);
    expect(gateway.connectionsOpened).toBeLessThanOrEqual(4);
    const errors = log.lines.filter((l) => l.level === "error");
    expect(errors[0].message).toContain("Invalid API key");
    expect(errors[0].message).toContain("plexus.api_key");
    expect(log.lines.map((l) => l.message + JSON.stringify(l.fields ?? {})).join("\n")).not.toContain("plx_testkey");
    expect(uplink.stats()).toMatchObject({ status: expect.stringMatching(/auth_failed|backoff/), pointsAcked: 0 });
    expect(q.counters().pending).toBe(5);
  });

  it("1001 going-away: reconnects promptly and loses nothing", async () => {
    gateway = await startGateway();
    const clock = new BridgeClock();
    const q = realQueue("away", clock);
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "away", frame_max_points: 500 }), source: q.queue, clock });
    uplink.start();
    await gateway.waitFor(() => gateway!.isConnected("away"), 5000, "connect");
    let next = 0;
    const producer = setInterval(() => {
      q.emit(seqPoints(next, 500));
      next += 500;
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closedAt = performance.now();
    expect(gateway.goAway()).toBe(1);
    await gateway.waitFor(() => gateway!.isConnected("away"), 3000, "reconnect after 1001");
    const reconnectMs = performance.now() - closedAt;
    await new Promise((resolve) => setTimeout(resolve, 300));
    clearInterval(producer);
    await waitUntil(() => q.counters().pending === 0, 10_000, "queue drained");
    const seen = new Set(gateway.points.map((p) => p.value));
    for (let i = 0; i < next; i++) if (!seen.has(i)) throw new Error(`point ${i} lost`);
    expect(reconnectMs).toBeLessThan(1000); // the backoff's first step would be 1 s ±25 %
    expect(q.counters().acknowledged).toBe(next);
  });

  it("a point local validation passes but the gateway rejects: only that point is lost", async () => {
    gateway = await startGateway({
      faults: { rejectPoint: (p) => (p.value === 4321 ? "value 4321 is on the gateway's deny list" : undefined) },
    });
    const clock = new BridgeClock();
    const q = realQueue("strict", clock);
    const log = new MemoryLogger();
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "strict" }), source: q.queue, clock }, log);
    q.emit(seqPoints(0, 10_000));
    uplink.start();
    await waitUntil(() => q.counters().pending === 0, 10_000, "queue settled");
    const seen = new Set(gateway.points.map((p) => p.value));
    for (let i = 0; i < 10_000; i++) expect(seen.has(i)).toBe(i !== 4321);
    expect(q.counters()).toMatchObject({ received: 10_000, acknowledged: 9999, dropped: 1 });
    expect(uplink.stats().pointsQuarantined).toBe(1);
    expect(log.lines.some((l) => l.level === "error" && l.message.includes("gateway refused a point"))).toBe(true);
  });

  it("RATE_LIMITED: the window goes back to the queue and is resent after a pause", async () => {
    // Every 7th telemetry frame is refused; windows of 4 frames, so most windows pass and the refused ones are resent.
    gateway = await startGateway({ faults: { rateLimitEvery: 7 } });
    const clock = new BridgeClock();
    const q = realQueue("limited", clock);
    uplink = makeUplink({
      options: plexusOptions({ url: gateway.url, source_id: "limited", frame_max_points: 1000, ack_window_frames: 4 }),
      source: q.queue,
      clock,
    });
    q.emit(seqPoints(0, 12_000));
    uplink.start();
    await waitUntil(() => q.counters().pending === 0, 20_000, "queue drained");
    const seen = new Set(gateway.points.map((p) => p.value));
    expect(seen.size).toBe(12_000);
    expect(uplink.stats().rateLimited).toBeGreaterThan(0);
    expect(q.counters()).toMatchObject({ acknowledged: 12_000, dropped: 0 });
  });
});
