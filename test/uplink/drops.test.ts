/**
 * The delivery guarantee end to end: the real pipeline and queue, the WebSocket uplink and the
 * local gateway dropping the connection every ~2 s. Every point must arrive at least once.
 */
import { afterEach, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "./helpers.js";

let gateway: Gateway | undefined;
let uplink: Uplink | undefined;

afterEach(async () => {
  await uplink?.stop(0);
  await gateway?.close();
});

it("1,000,000 points while the gateway drops the connection every ~2 s: all arrive, duplicates bounded", async () => {
  const TOTAL = 1_000_000;
  const seen = new Uint16Array(TOTAL);
  let received = 0;
  gateway = await startGateway({
    keepPoints: false,
    faults: { dropEveryMs: 2000 },
    // The gateway shares this process's event loop, so frame arrival times say nothing about
    // the bridge's pacing (tested in websocket.test.ts); its 0.5 ms rule would fire on that artefact.
    limits: { minTelemetryGapMs: 0 },
    onPoints: (_source, points) => {
      for (const point of points) {
        seen[Number((point.tags as Record<string, string>).seq)]++;
        received++;
      }
    },
  });
  const clock = new BridgeClock();
  const q = realQueue("drops", clock);
  const windowFrames = 10;
  const windows = 4;
  uplink = makeUplink({
    options: plexusOptions({
      url: gateway.url,
      source_id: "drops",
      frame_interval: "1ms",
      ack_window_frames: windowFrames,
      max_unacked_windows: windows,
      reconnect_min: "50ms",
      reconnect_max: "200ms",
    }),
    source: q.queue,
    clock,
  });
  uplink.start();

  // Produce at up to ~1M points/s in 5,000-point emits, slowing when the queue says so.
  let next = 0;
  while (next < TOTAL) {
    const points = [];
    for (let i = 0; i < 5000; i++, next++) points.push({ metric: "seq", value: next, tags: { seq: String(next) } });
    if (!q.emit(points)) await q.queue.drained();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitUntil(() => q.counters().pending === 0, 45_000, "every point acknowledged");

  let missing = 0;
  let duplicates = 0;
  for (let i = 0; i < TOTAL; i++) {
    if (seen[i] === 0) missing++;
    else duplicates += seen[i] - 1;
  }
  const reconnects = uplink.stats().connects - 1;
  expect(missing).toBe(0);
  expect(q.counters()).toMatchObject({ received: TOTAL, acknowledged: TOTAL, dropped: 0, invalid: 0 });
  expect(reconnects).toBeGreaterThanOrEqual(1);
  // A drop can cost at most what was unacknowledged: the windows in flight plus the open one.
  expect(duplicates).toBeLessThanOrEqual(reconnects * (windows + 1) * windowFrames * 5000);
  expect(received).toBe(TOTAL + duplicates);
}, 60_000);
