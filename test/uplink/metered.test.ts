/**
 * A metered link (cellular): HTTP with gzip, batches gathered up to a linger, acknowledgement only
 * on a 200 whose count matches, and report-by-exception rules, all through the local gateway.
 */
import { describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import type { Gateway } from "../../src/gateway/server.js";
import { reportRulesSchema } from "../../src/pipeline/report-rules.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { closedAfterEach, makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

const closing = closedAfterEach();

const seqPoints = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ metric: "seq", value: from + i }));

function meteredUplink(gw: Gateway, sourceId: string, extra: Record<string, unknown> = {}) {
  const clock = new BridgeClock();
  const log = new MemoryLogger();
  const q = realQueue(sourceId, clock, log);
  const options = plexusOptions({
    url: gw.url,
    source_id: sourceId,
    link: "metered",
    reconnect_min: "50ms",
    reconnect_max: "200ms",
    ...extra,
  });
  return { q, log, options, uplink: makeUplink({ options, source: q.queue, clock }, log) };
}

const dataRequests = (gw: Gateway) => gw.requests.filter((r) => r.points > 0);

describe("link: metered", () => {
  it("implies HTTP, gzip level 9, 10,000-point batches and a 5 s linger; each can still be set", () => {
    const metered = plexusOptions({ link: "metered" });
    expect(metered).toMatchObject({ transport: "http", frame_max_points: 10_000, linger: 5000, gzip_level: 9 });
    expect(plexusOptions({})).toMatchObject({
      link: "standard",
      transport: "websocket",
      frame_max_points: 10_000,
      linger: 0,
      gzip_level: 6,
    });
    expect(plexusOptions({ link: "metered", linger: "1s", transport: "auto" })).toMatchObject({ transport: "auto", linger: 1000 });
  });

  it("gathers points that arrive apart into one gzip request, sent no later than the linger", async () => {
    const gateway = await closing.gateway();
    const t = meteredUplink(gateway, "metered-linger", { linger: "600ms" });
    const uplink = closing.uplink(t.uplink);
    uplink.start();
    await waitUntil(() => gateway.requests.length === 1, 5000, "the key check");
    const started = Date.now();
    t.q.emit(seqPoints(0, 300));
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.q.emit(seqPoints(300, 200));
    await waitUntil(() => t.q.counters().pending === 0, 5000, "delivered");
    const waited = Date.now() - started;
    expect(dataRequests(gateway)).toEqual([expect.objectContaining({ points: 500, gzip: true, status: 200 })]);
    // The linger is the latency bound: not sent before it (the batch was not full), not long after.
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(3000);
    const stats = uplink.stats();
    expect(stats.bytesSent).toBeGreaterThan(0);
    expect(stats.bytesSent).toBeLessThan(stats.bytesUncompressed / 3);
  });

  it("sends full batches at once and only the remainder waits for the linger", async () => {
    const gateway = await closing.gateway();
    const t = meteredUplink(gateway, "metered-full", { linger: "300ms" });
    const uplink = closing.uplink(t.uplink);
    t.q.emit(seqPoints(0, 25_000));
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 10_000, "delivered");
    expect(dataRequests(gateway).map((r) => r.points)).toEqual([10_000, 10_000, 5000]);
    expect(new Set(gateway.points.map((p) => p.value)).size).toBe(25_000);
  });

  it("acknowledges only on a 200 whose count matches: a short count is resent, nothing is lost", async () => {
    const gateway = await closing.gateway({ faults: { shortCountRequests: 1 } });
    const t = meteredUplink(gateway, "metered-count", { linger: 0, link: "standard", transport: "http" });
    const uplink = closing.uplink(t.uplink);
    t.q.emit(seqPoints(0, 1000));
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 10_000, "delivered");
    expect(new Set(gateway.points.map((p) => p.value)).size).toBe(1000);
    expect(t.q.counters()).toMatchObject({ received: 1000, acknowledged: 1000, dropped: 0 });
    expect(uplink.stats().countMismatches).toBe(1);
    expect(t.log.lines.some((line) => line.message.includes("different number of points"))).toBe(true);
  });
});

describe("report rules (deadband, heartbeat) through the pipeline to the gateway over HTTP gzip", () => {
  it("sends a value only when it left the deadband or the heartbeat is due; other metrics pass; the identity holds", async () => {
    const gateway = await closing.gateway();
    const clock = new BridgeClock();
    const q = realQueue("rbe", clock);
    const report = reportRulesSchema.parse([
      { match: "room.*", deadband: { absolute: 0.5 }, heartbeat: "60s" },
      { match: "flow", deadband: { percent: 10 } },
    ]);
    const origin = q.pipeline.addAdapter({ id: "plc", sourceId: "rbe", prefix: "plc.", stream: "always", report });
    const t0 = Date.UTC(2026, 0, 1);
    const at = (s: number, metric: string, value: number) => ({ metric, value, timestamp: t0 + s * 1000 });
    q.pipeline.ingest(origin, [
      at(0, "room.temp", 20.0), // first value: sent
      at(10, "room.temp", 20.3), // within 0.5: held back
      at(20, "room.temp", 20.6), // 0.6 from 20.0: sent
      at(30, "room.temp", 20.7), // held back
      at(85, "room.temp", 20.7), // 65 s since the last sent: heartbeat
      at(0, "flow", 100),
      at(1, "flow", 109), // 9 %: held back
      at(2, "flow", 111), // 11 %: sent
      at(3, "pressure", 1), // no rule: always sent
      at(4, "pressure", 1),
      at(5, "room.door", 1), // its own series under the room.* rule: its first value is sent
      { metric: "room.label", value: "open" }, // not a number: never filtered
    ]);
    const options = plexusOptions({ url: gateway.url, source_id: "rbe", transport: "http", reconnect_min: "50ms" });
    const uplink = closing.uplink(makeUplink({ options, source: q.queue, clock }));
    uplink.start();
    await waitUntil(() => q.counters().pending === 0, 5000, "delivered");
    const sent = gateway.points.map((p) => `${p.metric}=${p.value}@${((p.timestamp as number) - t0) / 1000}`);
    expect(sent.slice(0, 8)).toEqual([
      "plc.room.temp=20@0",
      "plc.room.temp=20.6@20",
      "plc.room.temp=20.7@85",
      "plc.flow=100@0",
      "plc.flow=111@2",
      "plc.pressure=1@3",
      "plc.pressure=1@4",
      "plc.room.door=1@5",
    ]);
    expect(sent[8]).toMatch(/^plc\.room\.label=open@/);
    expect(sent).toHaveLength(9);
    const counters = q.pipeline.stats().adapters.plc;
    expect(counters).toMatchObject({ received: 9, acknowledged: 9, suppressed: 3 });
    expect(counters.received).toBe(counters.invalid + counters.dropped + counters.acknowledged + counters.pending);
  });
});
