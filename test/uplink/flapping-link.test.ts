/**
 * A link that drops every few seconds (the gateway's drop-every fault: the TCP connection is cut,
 * no close frame). Connections that delivered acknowledged frames come back at reconnect_min;
 * connections that die before their first acknowledgement still climb the backoff. The delays
 * are read from the uplink's own "retry in N ms" state, not timed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
const uplinks: Uplink[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const uplink of uplinks.splice(0)) await uplink.stop(0);
  await gateway?.close();
  gateway = undefined;
});

/** Starts an uplink (with a steady producer when `producing`) and records the reconnect delays it chooses, ms. */
function startRecording(gw: Gateway, sourceId: string, producing: boolean) {
  const clock = new BridgeClock();
  const q = realQueue(sourceId, clock);
  const delays: number[] = [];
  const uplink = makeUplink({
    // stable_after far beyond the link's up time: only usefulness can reset the backoff.
    options: plexusOptions({ url: gw.url, source_id: sourceId, reconnect_min: "100ms", reconnect_max: "20s", stable_after: "30s" }),
    source: q.queue,
    clock,
    onState: (status, detail) => {
      const match = status === "backoff" ? /retry in (\d+) ms/.exec(detail ?? "") : null;
      if (match) delays.push(Number(match[1]));
    },
  });
  uplinks.push(uplink);
  uplink.start();
  let next = 0;
  if (producing) {
    // A steady producer: every connection has frames to deliver and gets them acknowledged.
    timers.push(
      setInterval(() => {
        q.emit(Array.from({ length: 50 }, (_, i) => ({ metric: "seq", value: next + i })));
        next += 50;
      }, 10),
    );
  }
  return { delays, uplink };
}

/** The first `count` reconnect delays the uplink chose, ms. */
async function reconnectDelays(gw: Gateway, sourceId: string, producing: boolean, count: number) {
  const { delays, uplink } = startRecording(gw, sourceId, producing);
  await waitUntil(() => delays.length >= count, 30_000, `${count} reconnects`);
  return { delays: delays.slice(0, count), uplink };
}

describe("flapping link", () => {
  it("a connection that delivered acknowledged frames reconnects at reconnect_min, every time", async () => {
    gateway = await startGateway({ faults: { dropEveryMs: 1000 } });
    const { delays, uplink } = await reconnectDelays(gateway, "flap-useful", true, 4);
    expect(uplink.stats().windowsAcked).toBeGreaterThan(0);
    // reconnect_min ±25 % jitter; without the fix the 4th delay is 100 × 2³ ± 25 %.
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(125);
  });

  it("a connection that dies before its first acknowledgement keeps the exponential backoff", async () => {
    gateway = await startGateway({ faults: { dropEveryMs: 300 } });
    const { delays } = await reconnectDelays(gateway, "flap-idle", false, 4);
    // 100, 200, 400, 800 ms, each ±25 %.
    expect(delays[3]).toBeGreaterThanOrEqual(600);
    expect(delays[2]).toBeGreaterThan(delays[0]);
  });

  it("connections the gateway closes on purpose (two bridges evicting each other) keep the backoff, acknowledged frames or not", async () => {
    gateway = await startGateway();
    const a = startRecording(gateway, "twin-source", true);
    const b = startRecording(gateway, "twin-source", true);
    await waitUntil(() => a.delays.length >= 3 || b.delays.length >= 3, 30_000, "three reconnects of one twin");
    const delays = a.delays.length >= 3 ? a.delays : b.delays;
    // 100, 200, 400 ms ± 25 %: growing, not back to reconnect_min after each eviction.
    expect(delays[2]).toBeGreaterThanOrEqual(300);
  });
});
