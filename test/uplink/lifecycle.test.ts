/** The Uplink over time: heartbeats, device errors, scheduled re-sync, flapping, stopping with a deadline. */
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
const uplinks: Uplink[] = [];

afterEach(async () => {
  for (const uplink of uplinks.splice(0)) await uplink.stop(0);
  await gateway?.close();
});

const seqPoints = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ metric: "seq", value: from + i }));

function start(gw: Gateway, sourceId: string, extra: Record<string, unknown> = {}, log = new MemoryLogger()) {
  const clock = new BridgeClock();
  const q = realQueue(sourceId, clock);
  const uplink = makeUplink({ options: plexusOptions({ url: gw.url, source_id: sourceId, ...extra }), source: q.queue, clock }, log);
  uplinks.push(uplink);
  uplink.start();
  return { q, uplink, clock, log };
}

describe("uplink lifecycle", () => {
  it("sends heartbeats with uptime, and device errors rate-limited per adapter", async () => {
    gateway = await startGateway();
    const t = start(gateway, "beat", { heartbeat_interval: "200ms", device_error_interval: "300ms" });
    await gateway.waitFor(() => gateway!.messages.filter((m) => m.message.type === "heartbeat").length >= 2, 3000, "two heartbeats");
    const beat = gateway.messages.find((m) => m.message.type === "heartbeat")!.message;
    expect(beat).toMatchObject({ type: "heartbeat", source_id: "beat", agent_version: "0.1.0-test", uptime_s: expect.any(Number) });
    t.uplink.reportDeviceError("adapter.plc1", "connect ECONNREFUSED 10.0.0.5:502 (key plx_testkey_0123456789abcdef0123456789)");
    t.uplink.reportDeviceError("adapter.plc1", "still down");
    t.uplink.reportDeviceError("adapter.plc1", "up", "info");
    const errors = () => gateway!.messages.filter((m) => m.message.type === "device_error").map((m) => m.message);
    await gateway.waitFor(() => errors().length === 2, 3000, "two device errors");
    expect(errors()[0]).toMatchObject({ source: "adapter.plc1", severity: "error", error: expect.stringContaining("ECONNREFUSED") });
    expect(JSON.stringify(errors()[0])).not.toContain("plx_testkey"); // the key never leaves in a report
    expect(errors()[1]).toMatchObject({ error: "up", severity: "info" }); // the latest state won
  });

  it("re-syncs the clock on schedule through a graceful reconnect, losing nothing", async () => {
    gateway = await startGateway();
    const t = start(gateway, "resync", { resync_interval: "400ms" });
    let next = 0;
    const producer = setInterval(() => {
      t.q.emit(seqPoints(next, 200));
      next += 200;
    }, 10);
    await waitUntil(() => t.uplink.stats().connects >= 3, 5000, "two re-syncs");
    clearInterval(producer);
    await waitUntil(() => t.q.counters().pending === 0, 5000, "drained");
    const seen = new Set(gateway.points.map((p) => p.value));
    for (let i = 0; i < next; i++) expect(seen.has(i)).toBe(true);
    // Recent, by the scale of the 6 h default; not a timing figure (a loaded machine stretches the
    // drain above by seconds, and the last re-sync may be one interval back).
    expect(t.uplink.stats().clockOffsetAgeMs).toBeLessThan(10_000);
    expect(t.log.lines.some((l) => l.message.includes("scheduled clock re-sync"))).toBe(true);
  });

  it("stop(deadline) delivers what is pending before closing", async () => {
    gateway = await startGateway();
    const t = start(gateway, "stopping");
    await gateway.waitFor(() => gateway!.isConnected("stopping"), 3000, "connect");
    t.q.emit(seqPoints(0, 30_000));
    await t.uplink.stop(5000);
    expect(t.q.counters()).toMatchObject({ acknowledged: 30_000, pending: 0 });
    expect(gateway.points).toHaveLength(30_000);
    expect(t.uplink.stats().status).toBe("stopped");
    await gateway.waitFor(() => !gateway!.isConnected("stopping"), 2000, "closed");
  });

  it("stop(0) with the gateway gone gives everything back to the queue at once", async () => {
    gateway = await startGateway({ faults: { offline: true } });
    const t = start(gateway, "gone", { reconnect_min: "5s" });
    t.q.emit(seqPoints(0, 100));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await t.uplink.stop(0);
    expect(performance.now() - started).toBeLessThan(500);
    expect(t.q.counters().pending).toBe(100);
  });

  it("two bridges publishing as the same source_id: the flapping is named in the log", async () => {
    gateway = await startGateway();
    const options = { reconnect_min: "20ms", reconnect_max: "60ms", stable_after: "10s" };
    const a = start(gateway, "twin", options);
    const b = start(gateway, "twin", options);
    await waitUntil(
      () => [a, b].some((t) => t.log.lines.some((l) => l.message.includes('another bridge or adapter publishing as source_id "twin"'))),
      8000,
      "flapping warning",
    );
    expect(a.uplink.stats().connects + b.uplink.stats().connects).toBeGreaterThanOrEqual(4);
  });

  it("refuses a plain-text gateway URL to a remote host unless allow_insecure", () => {
    const clock = new BridgeClock();
    const q = realQueue("insecure", clock);
    expect(() =>
      makeUplink({ options: plexusOptions({ url: "ws://10.1.2.3:8080", source_id: "insecure" }), source: q.queue, clock }),
    ).toThrow(/not encrypted/);
    expect(() =>
      makeUplink({
        options: plexusOptions({ url: "ws://10.1.2.3:8080", source_id: "insecure", allow_insecure: true }),
        source: q.queue,
        clock,
      }),
    ).not.toThrow();
  });
});
