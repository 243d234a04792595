/** HTTP ingest delivery against the local gateway's POST /ingest (status codes as the contract gives them). */
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
let uplink: Uplink | undefined;

afterEach(async () => {
  await uplink?.stop(0);
  await gateway?.close();
  uplink = undefined;
});

const seqPoints = (count: number) => Array.from({ length: count }, (_, i) => ({ metric: "seq", value: i, tags: { seq: String(i) } }));

function httpUplink(gw: Gateway, sourceId: string, extra: Record<string, unknown> = {}, log = new MemoryLogger()) {
  const clock = new BridgeClock();
  const q = realQueue(sourceId, clock);
  const options = plexusOptions({
    url: gw.url,
    source_id: sourceId,
    transport: "http",
    reconnect_min: "50ms",
    reconnect_max: "200ms",
    ...extra,
  });
  return { q, clock, log, uplink: makeUplink({ options, source: q.queue, clock }, log) };
}

describe("http transport", () => {
  it("delivers gzip-compressed batches and acknowledges on 200", async () => {
    gateway = await startGateway();
    const t = httpUplink(gateway, "http-ok");
    uplink = t.uplink;
    t.q.emit(seqPoints(12_000));
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 10_000, "drained");
    expect(new Set(gateway.points.map((p) => p.value)).size).toBe(12_000);
    expect(gateway.points[0]).toMatchObject({ source_id: "http-ok", metric: "gen.seq" });
    expect(uplink.stats()).toMatchObject({ status: "http", pointsAcked: 12_000 });
    const posts = gateway.requests.filter((r) => r.points > 0);
    expect(posts.length).toBeGreaterThanOrEqual(2); // ≤ 10,000 points a request
    expect(posts.every((r) => r.gzip && r.status === 200)).toBe(true);
    expect(gateway.requests[0]).toMatchObject({ points: 0, gzip: false, status: 200 }); // the cheap key check
  });

  it("400: finds the point the gateway refuses, quarantines it, delivers the rest", async () => {
    gateway = await startGateway({ faults: { rejectPoint: (p) => (p.value === 777 ? "value 777 refused" : undefined) } });
    const t = httpUplink(gateway, "http-400");
    uplink = t.uplink;
    t.q.emit(seqPoints(3000));
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 10_000, "drained");
    const seen = new Set(gateway.points.map((p) => p.value));
    expect(seen.size).toBe(2999);
    expect(seen.has(777)).toBe(false);
    expect(t.q.counters()).toMatchObject({ acknowledged: 2999, dropped: 1 });
    expect(uplink.stats().pointsQuarantined).toBe(1);
  });

  it("413: splits the request until it fits", async () => {
    gateway = await startGateway({ limits: { maxHttpBodyBytes: 40_000 } });
    const t = httpUplink(gateway, "http-413");
    uplink = t.uplink;
    // Incompressible-ish tag values keep the gzip body large.
    t.q.emit(
      Array.from({ length: 5000 }, (_, i) => ({ metric: "seq", value: i, tags: { seq: String(i), r: Math.random().toString(36) } })),
    );
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 15_000, "drained");
    expect(new Set(gateway.points.map((p) => p.value)).size).toBe(5000);
    expect(t.log.lines.some((l) => l.message.includes("too large"))).toBe(true);
    expect(t.q.counters().dropped).toBe(0);
  });

  it("5xx and 429: retried with backoff until accepted", async () => {
    gateway = await startGateway({ faults: { httpStatuses: [200, 503, 500, 429, 502] } });
    const t = httpUplink(gateway, "http-5xx");
    uplink = t.uplink;
    t.q.emit(seqPoints(100));
    uplink.start();
    await waitUntil(() => t.q.counters().pending === 0, 10_000, "drained");
    expect(gateway.points).toHaveLength(100);
    expect(uplink.stats().httpRequests).toBeGreaterThanOrEqual(6);
    expect(t.log.lines.filter((l) => l.message === "ingest request failed: retrying")).toHaveLength(4);
  });

  it("401: stops delivering and says why, re-checking the key only after the backoff; nothing is lost from the queue", async () => {
    gateway = await startGateway({ keys: ["plx_another_key_000000000000000000"] });
    const t = httpUplink(gateway, "http-401");
    uplink = t.uplink;
    t.q.emit(seqPoints(10));
    uplink.start();
    await waitUntil(() => uplink!.stats().status === "auth_failed", 5000, "auth_failed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The key check, then a check per backoff step (50, 100, 200 ms here): never hammering.
    expect(uplink.stats().httpRequests).toBeLessThanOrEqual(4);
    expect(uplink.stats().status).toBe("auth_failed");
    expect(t.log.lines.find((l) => l.level === "error")!.message).toContain("HTTP 401: Invalid API key");
    expect(t.q.counters().pending).toBe(10);
  });

  it("auto: falls back to HTTP when the WebSocket is refused, and returns to it once it is accepted again", async () => {
    gateway = await startGateway({ faults: { refuseWebSocket: true } });
    const clock = new BridgeClock();
    const q = realQueue("auto", clock);
    const options = plexusOptions({
      url: gateway.url,
      source_id: "auto",
      transport: "auto",
      reconnect_min: "50ms",
      ws_retry_interval: "600ms",
    });
    const log = new MemoryLogger();
    uplink = makeUplink({ options, source: q.queue, clock }, log);
    q.emit(seqPoints(500));
    uplink.start();
    await waitUntil(() => q.counters().pending === 0, 10_000, "drained over HTTP");
    expect(uplink.stats().status).toBe("http");
    expect(gateway.points).toHaveLength(500);
    expect(log.lines.some((l) => l.message.includes("falling back to HTTP"))).toBe(true);
    gateway.faults.refuseWebSocket = false;
    await waitUntil(() => uplink!.stats().status === "up", 5000, "back on the WebSocket");
    q.emit(seqPoints(100));
    await waitUntil(() => q.counters().pending === 0, 5000, "drained over the WebSocket");
    expect(gateway.summary().get("auto")!.framesAccepted).toBeGreaterThanOrEqual(1);
  });

  it("counts points the server reports as dropped", async () => {
    gateway = await startGateway();
    // The local gateway never leaves points out; a thin server in front of it reports some, as the real one may.
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const { points } = JSON.parse(Buffer.concat(chunks).toString()) as { points: unknown[] };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(points.length > 0 ? { success: true, count: points.length - 3, dropped: 3 } : { success: true, count: 0 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const clock = new BridgeClock();
    const q = realQueue("dropping", clock);
    const log = new MemoryLogger();
    uplink = makeUplink(
      { options: plexusOptions({ url: `http://127.0.0.1:${port}`, source_id: "dropping", transport: "http" }), source: q.queue, clock },
      log,
    );
    q.emit(seqPoints(10));
    uplink.start();
    await waitUntil(() => q.counters().pending === 0, 5000, "drained");
    expect(uplink.stats().pointsDroppedByServer).toBe(3);
    expect(log.lines.some((l) => l.message === "gateway reports points it left out")).toBe(true);
    // The queue's accounting agrees: 3 dropped with their reason, not acknowledged, and the identity holds.
    const counters = q.counters();
    expect(counters.acknowledged).toBe(7);
    expect(counters.dropped).toBe(3);
    expect(Object.keys(counters.dropped_reasons).join()).toMatch(/left out by the gateway/);
    expect(counters.received).toBe(counters.invalid + counters.dropped + counters.acknowledged + counters.pending);
    await uplink.stop(0);
    uplink = undefined;
    server.close();
  });
});
