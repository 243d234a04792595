/**
 * The bad days, against the in-process server: exception responses, a device that stops
 * answering (timeouts) and comes back, a link that drops, backpressure, missed ticks and a
 * runtime change of the interval.
 */
import { describe, expect, it } from "vitest";
import modbus from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import type { ModbusTestServer } from "./modbus-test-server.js";
import { servedModbus } from "./served.js";

const served = servedModbus({ id: "plc", interval: "100ms" });
let server: ModbusTestServer;
const start = (options: Record<string, unknown>, harness?: AdapterHarness) => served.start(options, { harness });

const values = (harness: AdapterHarness, metric: string) => harness.points.filter((p) => p.metric === metric).map((p) => p.value);

describe("exception responses", () => {
  it("splits a merged read around an illegal address, counts per point, reports once, keeps the rest", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [10, 11, 12, 13]);
    server.exceptionAt(1, "holding", 2, 2);
    const { harness } = await start({
      devices: [
        {
          unit_id: 1,
          points: [0, 1, 2, 3].map((address) => ({ name: `r${address}`, address })),
        },
      ],
    });
    await expect.poll(() => values(harness, "r3").length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(values(harness, "r0")[0]).toBe(10);
    expect(values(harness, "r1")[0]).toBe(11);
    expect(values(harness, "r3")[0]).toBe(13);
    expect(values(harness, "r2")).toEqual([]);
    // First poll: the merged read, then one read per point; later polls keep the split plan.
    const reads = server.requests.map((r) => `${r.address}+${r.count}`);
    expect(reads.slice(0, 5)).toEqual(["0+4", "0+1", "1+1", "2+1", "3+1"]);
    expect(reads.slice(5, 9)).toEqual(["0+1", "1+1", "2+1", "3+1"]);
    expect(harness.counters.get("reads_split")).toBe(1);
    const perPoint = harness.counters.get("exceptions.unit1.r2") ?? 0;
    expect(perPoint).toBeGreaterThanOrEqual(2);
    expect(harness.counters.get("exceptions")).toBe(perPoint);
    // Reported once: one warning and one status detail, however many polls failed.
    expect(harness.log.lines.filter((l) => l.message.startsWith("exception response"))).toHaveLength(1);
    expect(harness.log.lines.find((l) => l.message.startsWith("exception response"))?.message).toBe(
      "exception response 2 illegal data address",
    );
    const reported = harness.states.filter((s) => s.detail?.includes("exception 2 (illegal data address)"));
    expect(reported).toEqual([{ state: "up", detail: "unit1 r2 (holding 2): exception 2 (illegal data address)" }]);
    // …and it stays the latest status (the uplink rate-limits device_errors, the latest winning).
    expect(harness.states.at(-1)).toEqual(reported[0]);
  });

  it("a busy device: the points of that read are skipped and counted, the read is not split", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [1, 2]);
    server.unit(1).set("input", 0, [3]);
    server.exceptionAt(1, "holding", 1, 6);
    const { harness } = await start({
      devices: [
        {
          unit_id: 1,
          points: [
            { name: "a", address: 0 },
            { name: "b", address: 1 },
            { name: "c", table: "input", address: 0 },
          ],
        },
      ],
    });
    await expect.poll(() => values(harness, "c").length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(values(harness, "a")).toEqual([]);
    expect(harness.counters.get("reads_split")).toBeUndefined();
    expect(harness.counters.get("exceptions.unit1.a")).toBeGreaterThanOrEqual(2);
    expect(harness.counters.get("exceptions.unit1.b")).toBeGreaterThanOrEqual(2);
    expect(harness.log.lines.filter((l) => l.message.startsWith("exception response"))).toHaveLength(2);
    expect(harness.log.lines.filter((l) => l.message === "exception response 6 server device busy")).toHaveLength(2);
  });
});

describe("devices that stop answering", () => {
  it("marks a silent device down after timeout + retries, keeps polling the others, and brings it back", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [100]);
    server.unit(2).set("holding", 0, [200]);
    const { harness } = await start({
      timeout: "150ms",
      retries: 1,
      reconnect_min: "200ms",
      reconnect_max: "400ms",
      devices: [
        { unit_id: 1, name: "m1", points: [{ name: "v", address: 0 }] },
        { unit_id: 2, name: "m2", points: [{ name: "v", address: 0 }] },
      ],
    });
    await harness.waitForPoints(2);
    server.silent.add(2);
    await expect.poll(() => harness.states.some((s) => s.detail === "not answering: m2"), { timeout: 5000 }).toBe(true);
    const downAt = harness.points.length;
    const m2RequestsAtDown = server.requests.filter((r) => r.unit === 2).length;
    // m1 keeps flowing at its interval while m2 is down.
    await expect.poll(() => values(harness, "m1.v").length, { timeout: 5000 }).toBeGreaterThan(downAt / 2 + 5);
    expect(harness.counters.get("timeouts")).toBeGreaterThanOrEqual(2); // the request and its retry
    expect(harness.counters.get("device_timeouts")).toBeGreaterThanOrEqual(1);
    // Retried with backoff, not at every tick: 1 s of 100 ms ticks gives far fewer than 10 attempts × 2 requests.
    await new Promise((r) => setTimeout(r, 1000));
    const m2Requests = server.requests.filter((r) => r.unit === 2).length - m2RequestsAtDown;
    expect(m2Requests).toBeGreaterThanOrEqual(2);
    expect(m2Requests).toBeLessThan(12);
    expect(harness.log.lines.filter((l) => l.message === "device not answering, marked down")).toHaveLength(1);

    const before = values(harness, "m2.v").length;
    server.silent.delete(2);
    await expect.poll(() => values(harness, "m2.v").length, { timeout: 5000 }).toBeGreaterThan(before);
    await expect.poll(() => harness.states.at(-1), { timeout: 5000 }).toEqual({ state: "up", detail: "2 device(s) answering" });
    expect(harness.log.lines.some((l) => l.message === "device answering again")).toBe(true);
  });

  it("treats a gateway's 'target device failed to respond' (exception 11) as a device that is down", async () => {
    server = await served.serve("tcp");
    server.unit(4).set("holding", 0, [1]);
    server.exceptionAt(4, "holding", 0, 11);
    const { harness } = await start({ reconnect_min: "100ms", devices: [{ unit_id: 4, points: [{ name: "v", address: 0 }] }] });
    await expect.poll(() => harness.states.at(-1), { timeout: 5000 }).toEqual({ state: "down", detail: "no device answering (unit4)" });
    expect(harness.counters.get("exceptions")).toBeUndefined();
    expect(harness.log.lines.find((l) => l.message === "device not answering, marked down")?.fields?.reason).toBe(
      "gateway: exception 11 (gateway target device failed to respond)",
    );
    server.exceptions.clear();
    await expect.poll(() => values(harness, "v"), { timeout: 5000 }).toContain(1);
    expect(harness.states.at(-1)).toEqual({ state: "up", detail: "1 device(s) answering" });
  });

  it("reconnects after the link drops, and reports it down meanwhile", async () => {
    server = await served.serve("tcp");
    const port = server.port;
    server.unit(1).set("holding", 0, [1]);
    const { harness } = await start({
      reconnect_min: "100ms",
      reconnect_max: "300ms",
      devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }],
    });
    await harness.waitForPoints(2);
    await server.close();
    await expect.poll(() => harness.states.at(-1)?.state, { timeout: 5000 }).toBe("down");
    const duringOutage = harness.points.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(harness.points.length).toBe(duringOutage);
    server.unit(1).set("holding", 0, [2]);
    await server.listen(port);
    await expect.poll(() => values(harness, "v").includes(2), { timeout: 5000 }).toBe(true);
    expect(harness.states.at(-1)?.state).toBe("up");
    expect(harness.counters.get("link_drops") ?? 0).toBeGreaterThanOrEqual(1);
    expect(harness.log.lines.filter((l) => l.message === "link up")).toHaveLength(2);
  });

  it("keeps reconnecting with backoff when nothing listens, and stops quickly", async () => {
    server = await served.serve("tcp");
    const port = server.port;
    await server.close();
    const harness = new AdapterHarness();
    const adapter = harness.create(modbus, {
      url: `tcp://127.0.0.1:${port}`,
      reconnect_min: "50ms",
      reconnect_max: "200ms",
      devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }],
    });
    await adapter.start();
    await expect.poll(() => harness.counters.get("connect_failures") ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const started = performance.now();
    await adapter.stop();
    expect(performance.now() - started).toBeLessThan(500);
    expect(harness.states[0].state).toBe("connecting");
    expect(harness.states.at(-1)?.state).toBe("down");
  });
  it("stops at once even with a request in flight", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [1]);
    server.delayMs = 2000;
    const { adapter } = await start({ timeout: "3s", devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }] });
    await expect.poll(() => server.requests.length, { timeout: 5000 }).toBe(1);
    const started = performance.now();
    await adapter.stop();
    served.stopAfter(undefined);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("a poll loop that fails on something unforeseen", () => {
  it("is restarted with backoff for that device, while the other device is polled throughout", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [1]);
    server.unit(2).set("holding", 0, [2]);
    const { harness, adapter } = await start({
      interval: "50ms",
      reconnect_min: "100ms",
      reconnect_max: "200ms",
      devices: [
        { unit_id: 1, name: "a", points: [{ name: "v", address: 0 }] },
        { unit_id: 2, name: "b", points: [{ name: "v", address: 0 }] },
      ],
    });
    // Stands in for a bug: device a's next poll throws something the poller does not expect.
    const poller = (adapter as unknown as { pollers: { pollOnce: () => Promise<unknown> }[] }).pollers[0];
    const pollOnce = poller.pollOnce.bind(poller);
    let thrown = false;
    poller.pollOnce = async () => {
      if (thrown) return pollOnce();
      thrown = true;
      throw new TypeError("something nobody foresaw");
    };
    await expect.poll(() => harness.counters.get("poll_loop_failures"), { timeout: 5000 }).toBe(1);
    const polledBefore = values(harness, "a.v").length;
    const otherBefore = values(harness, "b.v").length;
    await expect.poll(() => values(harness, "a.v").length, { timeout: 5000 }).toBeGreaterThan(polledBefore + 2);
    expect(values(harness, "b.v").length).toBeGreaterThan(otherBefore + 2);
    expect(harness.log.lines.some((l) => l.message === "poll loop failed, restarting it" && l.fields?.device === "a")).toBe(true);
  });
});

describe("pacing", () => {
  it("waits for drained() under backpressure and counts the ticks it missed", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [5]);
    const harness = new AdapterHarness({ highWater: 1 });
    await start({ interval: "50ms", devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }] }, harness);
    await harness.waitForPoints(1);
    await new Promise((r) => setTimeout(r, 400));
    // Held: no further polls at all while the queue is full.
    expect(harness.points).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
    harness.release();
    await harness.waitForPoints(2);
    expect(harness.counters.get("missed_ticks")).toBeGreaterThanOrEqual(5);
  });

  it("never overlaps polls when a device is slower than the interval", async () => {
    server = await served.serve("tcp");
    server.delayMs = 120;
    server.unit(1).set("holding", 0, [5]);
    server.unit(1).set("input", 0, [6]);
    const { harness } = await start({
      interval: "100ms",
      devices: [
        {
          unit_id: 1,
          points: [
            { name: "a", address: 0 },
            { name: "b", table: "input", address: 0 },
          ],
        },
      ],
    });
    await harness.waitForPoints(6);
    // Each poll is two sequential reads of 120 ms: 240 ms > 100 ms, so ticks are missed, not queued.
    expect(harness.counters.get("missed_ticks")).toBeGreaterThanOrEqual(2);
    for (const batch of harness.batches) expect(batch.map((p) => p.metric)).toEqual(["a", "b"]);
  });

  it("changes the interval at run time through configure", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [5]);
    const { harness, adapter } = await start({ interval: "1s", devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }] });
    await harness.waitForPoints(1);
    expect(modbus.runtimeTunable).toContain("interval");
    expect(await adapter.configure!({ interval: "50ms" })).toEqual({ interval: 50 });
    // The change applies to the tick being waited for (see poller.test.ts), then every 50 ms.
    await harness.waitForPoints(8, 3000);
    expect(adapter.devices[0].intervalMs).toBe(50);
  });
});
