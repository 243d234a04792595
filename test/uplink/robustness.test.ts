/** The uplink on a box that lives for months: no reconnect loops, no waiters or listeners piling up, no dependence on a writable state dir. */
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { BatchSource } from "../../src/pipeline/batch-source.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
let uplink: Uplink | undefined;

afterEach(async () => {
  await uplink?.stop(0);
  await gateway?.close();
  uplink = undefined;
  gateway = undefined;
});

const seqPoints = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ metric: "seq", value: from + i }));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The queue, counting the onAvailable() listeners it holds (each until it fires or is cancelled). */
function countingWaiters(source: BatchSource) {
  let outstanding = 0;
  const wrapped: BatchSource = Object.create(source);
  wrapped.onAvailable = (listener) => {
    outstanding++;
    let held = true;
    const release = () => {
      if (held) outstanding--;
      held = false;
    };
    const cancel = source.onAvailable(() => {
      release();
      listener();
    });
    return () => {
      release();
      cancel();
    };
  };
  return { source: wrapped, outstanding: () => outstanding };
}

describe("uplink robustness", () => {
  it("a gateway that closes every connection with 1001 gets the backoff after the first prompt return, not a reconnect loop", async () => {
    gateway = await startGateway({ faults: { goingAwayEveryMs: 40 } });
    const clock = new BridgeClock();
    const q = realQueue("away-loop", clock);
    uplink = makeUplink({
      options: plexusOptions({ url: gateway.url, source_id: "away-loop", reconnect_min: "400ms" }),
      source: q.queue,
      clock,
    });
    uplink.start();
    await pause(2000);
    // Prompt returns (50–250 ms) would authenticate 10+ times in 2 s; with the backoff: 1 + 1 prompt + 400 ms + 800 ms.
    expect(gateway.connectionsOpened).toBeGreaterThanOrEqual(2);
    expect(gateway.connectionsOpened).toBeLessThanOrEqual(5);
  });

  it("an idle WebSocket connection keeps one queue waiter, however many times it waits", async () => {
    gateway = await startGateway();
    const clock = new BridgeClock();
    const q = realQueue("idle-ws", clock);
    const counting = countingWaiters(q.queue);
    uplink = makeUplink({
      options: plexusOptions({ url: gateway.url, source_id: "idle-ws", ack_timeout: "50ms" }),
      source: counting.source,
      clock,
    });
    uplink.start();
    await waitUntil(() => uplink!.stats().status === "up", 5000, "up");
    await pause(1000); // ~20 idle waits of ack_timeout
    expect(counting.outstanding()).toBeLessThanOrEqual(1);
    q.emit(seqPoints(0, 10));
    await waitUntil(() => q.counters().acknowledged === 10, 5000, "delivered after the idle spell");
  });

  it("an idle HTTP uplink keeps one queue waiter, however many times it waits", async () => {
    gateway = await startGateway();
    const clock = new BridgeClock();
    const q = realQueue("idle-http", clock);
    const counting = countingWaiters(q.queue);
    uplink = makeUplink({
      options: plexusOptions({ url: gateway.url, source_id: "idle-http", transport: "http" }),
      source: counting.source,
      clock,
    });
    uplink.start();
    await waitUntil(() => uplink!.stats().status === "http", 5000, "http");
    await pause(3300); // an idle wait is 1 s
    expect(counting.outstanding()).toBeLessThanOrEqual(1);
    q.emit(seqPoints(0, 10));
    await waitUntil(() => q.counters().acknowledged === 10, 5000, "delivered after the idle spell");
  });

  it("isolating refused points leaves no abort listeners behind (no MaxListenersExceededWarning)", async () => {
    const bad = new Set([100, 700, 1300, 1900, 2500, 3100, 3700, 4300, 4900]);
    gateway = await startGateway({ faults: { rejectPoint: (p) => (bad.has(p.value as number) ? "denied" : undefined) } });
    const clock = new BridgeClock();
    const q = realQueue("isolate", clock);
    uplink = makeUplink({ options: plexusOptions({ url: gateway.url, source_id: "isolate" }), source: q.queue, clock });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      q.emit(seqPoints(0, 5000));
      uplink.start();
      await waitUntil(() => q.counters().pending === 0, 15_000, "queue settled");
      await pause(50); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    expect(q.counters()).toMatchObject({ acknowledged: 5000 - bad.size, dropped: bad.size });
    expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
  });

  it("a state directory that cannot be written does not keep the source from delivering", async () => {
    gateway = await startGateway({ assignSourceId: (requested) => `${requested}-7f3a` });
    const clock = new BridgeClock();
    const q = realQueue("ro-state", clock);
    const log = new MemoryLogger();
    uplink = makeUplink(
      { options: plexusOptions({ url: gateway.url, source_id: "ro-state" }), source: q.queue, clock, stateDir: "/dev/null/plexus-bridge" },
      log,
    );
    q.emit(seqPoints(0, 10));
    uplink.start();
    await waitUntil(() => q.counters().acknowledged === 10, 5000, "delivered");
    expect(gateway.authFrame("ro-state-7f3a")!.install_id).toMatch(/^[0-9a-f]{32}$/);
    expect(uplink.stats().announcedSourceId).toBe("ro-state-7f3a");
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("install id"))).toBe(true);
  });

  it("HTTP 401: stops delivering, says why, and checks the key again with backoff, so a key fixed on the server works again", async () => {
    const key = "plx_testkey_0123456789abcdef0123456789";
    gateway = await startGateway({ keys: ["plx_another_key_000000000000000000"] });
    const port = gateway.port;
    const clock = new BridgeClock();
    const q = realQueue("http-key", clock);
    const log = new MemoryLogger();
    uplink = makeUplink(
      {
        options: plexusOptions({ url: gateway.url, source_id: "http-key", transport: "http", reconnect_min: "200ms" }),
        source: q.queue,
        clock,
        apiKey: key,
      },
      log,
    );
    q.emit(seqPoints(0, 10));
    uplink.start();
    await waitUntil(() => uplink!.stats().status === "auth_failed", 5000, "auth_failed");
    await pause(100);
    expect(uplink.stats().status).toBe("auth_failed"); // not hidden behind "backoff" while it waits
    expect(uplink.stats().httpRequests).toBe(1);
    expect(q.counters().pending).toBe(10);
    // The key gets write scope on the server (same key, same URL).
    await gateway.close();
    gateway = await startGateway({ port, keys: [key] });
    await waitUntil(() => q.counters().acknowledged === 10, 5000, "delivered once the key is accepted");
    expect(uplink.stats().httpRequests).toBeLessThan(10); // a few key checks, not hammering
    expect(JSON.stringify(log.lines)).not.toContain(key);
  });
});
