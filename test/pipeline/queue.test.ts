import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WRITE_BEHIND_MS } from "../../src/pipeline/queue.js";
import { Spool } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { drainAll, makeRig, type QueueRig, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();

function identity(r: QueueRig) {
  const source = r.pipeline.stats().sources.src;
  expect(source.received).toBe(source.invalid + source.dropped + source.acknowledged + source.pending);
  expect(source.pending).toBe(r.queue.pending);
  return source;
}

describe("SourceQueue (memory)", () => {
  it("delivers in order, batch by batch, and acknowledges", () => {
    const r = rig({ durability: "memory" });
    r.pipeline.ingest(r.origin, seqPoints(0, 2500));
    expect(drainAll(r.queue, 1000)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    const source = identity(r);
    expect(source.acknowledged).toBe(2500);
    expect(source.pending).toBe(0);
  });

  it("onAvailable: a cancelled listener is released and never called; a live one fires once", async () => {
    const r = rig({ durability: "memory" });
    let cancelledCalls = 0;
    for (let i = 0; i < 1000; i++) r.queue.onAvailable(() => cancelledCalls++)();
    let liveCalls = 0;
    r.queue.onAvailable(() => liveCalls++);
    r.pipeline.ingest(r.origin, seqPoints(0, 10));
    r.pipeline.ingest(r.origin, seqPoints(10, 10));
    await Promise.resolve();
    expect([cancelledCalls, liveCalls]).toEqual([0, 1]);
    // With points waiting, a new listener fires on a later tick, not inside onAvailable().
    let late = 0;
    r.queue.onAvailable(() => late++);
    expect(late).toBe(0);
    await Promise.resolve();
    expect(late).toBe(1);
  });

  it("takes points added to a chunk it had already emptied", () => {
    const r = rig();
    r.pipeline.ingest(r.origin, seqPoints(0, 10));
    r.queue.ack(r.queue.take(100, 1e9)!);
    r.pipeline.ingest(r.origin, seqPoints(10, 5));
    expect(drainAll(r.queue)).toEqual([10, 11, 12, 13, 14]);
    identity(r);
  });

  it("respects the byte limit of a batch but always makes progress", () => {
    const r = rig({ durability: "memory" });
    r.pipeline.ingest(r.origin, seqPoints(0, 100));
    const batch = r.queue.take(1000, 1000)!;
    expect(batch.points.length).toBeGreaterThan(0);
    expect(batch.points.length).toBeLessThan(100);
    expect(batch.bytes).toBeLessThanOrEqual(1000);
    const tiny = r.queue.take(1000, 1)!;
    expect(tiny.points.length).toBe(1);
  });

  it("puts batches given back at the head, in the order they were taken", () => {
    const r = rig({ durability: "memory" });
    r.pipeline.ingest(r.origin, seqPoints(0, 30));
    const b1 = r.queue.take(10, 1e6)!;
    const b2 = r.queue.take(10, 1e6)!;
    r.queue.giveBack(b2);
    r.queue.giveBack(b1);
    r.pipeline.ingest(r.origin, seqPoints(30, 5));
    expect(drainAll(r.queue, 7)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    identity(r);
  });

  it("drop_oldest keeps the newest points and counts the rest", () => {
    const r = rig({ durability: "memory", memory_max_points: 1000, when_full: "drop_oldest" });
    for (let i = 0; i < 5; i++) r.pipeline.ingest(r.origin, seqPoints(i * 500, 500));
    const values = drainAll(r.queue);
    expect(values.length).toBeLessThanOrEqual(1000);
    expect(values.at(-1)).toBe(2499);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const source = identity(r);
    expect(source.dropped).toBe(2500 - values.length);
    expect(Object.keys(source.dropped_reasons)[0]).toContain("drop_oldest");
  });

  it("bounds memory by bytes as well as points", () => {
    const r = rig({ durability: "memory", memory_max_bytes: 64 * 1024, when_full: "drop_newest" });
    const big = Array.from({ length: 2000 }, (_, i) => ({ metric: "text", value: "x".repeat(200), tags: { i: String(i) } }));
    r.pipeline.ingest(r.origin, big.slice(0, 100));
    r.pipeline.ingest(r.origin, big.slice(100, 2000));
    const source = identity(r);
    expect(source.pending).toBe(100);
    expect(source.dropped).toBe(1900);
    let bytes = 0;
    for (let batch = r.queue.take(10_000, 1e9); batch; batch = r.queue.take(10_000, 1e9)) {
      bytes += batch.bytes;
      r.queue.ack(batch);
    }
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it("drop_newest keeps the oldest points and counts the rest", () => {
    const r = rig({ durability: "memory", memory_max_points: 1000, when_full: "drop_newest" });
    for (let i = 0; i < 5; i++) r.pipeline.ingest(r.origin, seqPoints(i * 500, 500));
    const values = drainAll(r.queue);
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(identity(r).dropped).toBe(1500);
  });

  it("block signals backpressure, holds a grace, then drops what is emitted anyway", async () => {
    const r = rig({ durability: "memory", memory_max_points: 1000, when_full: "block", high_water: 0.5 });
    expect(r.pipeline.ingest(r.origin, seqPoints(0, 400))).toBe(true);
    expect(r.pipeline.ingest(r.origin, seqPoints(400, 200))).toBe(false);
    let drained = false;
    const waiting = r.pipeline.drained(r.origin).then(() => {
      drained = true;
    });
    for (let i = 0; i < 4; i++) r.pipeline.ingest(r.origin, seqPoints(600 + i * 500, 500));
    const source = identity(r);
    expect(source.pending).toBe(1600);
    expect(source.dropped).toBe(1000);
    expect(drained).toBe(false);
    drainAll(r.queue);
    await waiting;
    expect(drained).toBe(true);
  });

  it("counts invalid points with their reasons and never queues them", () => {
    const r = rig({ durability: "memory" });
    r.pipeline.ingest(r.origin, [
      { metric: "ok", value: 1 },
      { metric: "nan", value: Number.NaN },
      { metric: "", value: 1 },
      { metric: "seconds", value: 1, timestamp: 1_700_000_000 },
      { metric: "x".repeat(300), value: 1 },
      { metric: "flag", value: true },
    ]);
    const values = [];
    const batch = r.queue.take(100, 1e6)!;
    for (const p of batch.points) values.push([p.metric, p.class]);
    expect(values).toEqual([
      ["a1.ok", "metric"],
      ["a1.flag", "event"],
    ]);
    const source = identity(r);
    expect(source.invalid).toBe(4);
    expect(r.log.lines.filter((l) => l.message.startsWith("invalid point")).length).toBe(4);
    expect(r.log.lines[0].scope).toBe("a1");
  });

  it("keeps the accounting identity under random operations", () => {
    const r = rig({ durability: "memory", memory_max_points: 5000, when_full: "drop_oldest" });
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const inFlight: ReturnType<typeof r.queue.take>[] = [];
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const op = random();
      if (op < 0.4) {
        const n = Math.floor(random() * 300);
        const points = seqPoints(next, n) as { metric: string; value: number }[];
        if (random() < 0.1) points.push({ metric: "bad", value: Number.POSITIVE_INFINITY });
        next += n;
        r.pipeline.ingest(r.origin, points);
      } else if (op < 0.65) {
        const batch = r.queue.take(1 + Math.floor(random() * 500), 20_000 + random() * 100_000);
        if (batch) inFlight.push(batch);
      } else if (op < 0.8 && inFlight.length > 0) {
        r.queue.ack(inFlight.splice(Math.floor(random() * inFlight.length), 1)[0]!);
      } else if (op < 0.95 && inFlight.length > 0) {
        r.queue.giveBack(inFlight.splice(Math.floor(random() * inFlight.length), 1)[0]!);
      } else if (inFlight.length > 0) {
        const batch = inFlight[0]!;
        if (batch.points.length > 0) r.queue.quarantine(batch, Math.floor(random() * batch.points.length), "rejected by gateway");
      }
      identity(r);
    }
    for (const batch of inFlight) r.queue.giveBack(batch!);
    const delivered = drainAll(r.queue);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
    const source = identity(r);
    expect(source.pending).toBe(0);
    const adapter = r.pipeline.stats().adapters.a1;
    expect(adapter.received).toBe(adapter.invalid + adapter.dropped + adapter.acknowledged + adapter.pending);
  });
});

describe("SourceQueue (spool)", () => {
  it("writes every point behind within the write-behind interval, uplink up or down, and delivers in order", async () => {
    const dir = join(tempDir(), "spool");
    const r = rig({ durability: "spill" }, dir);
    r.queue.setUplinkUp(true);
    r.pipeline.ingest(r.origin, seqPoints(0, 5000));
    await new Promise((resolve) => setTimeout(resolve, 4 * WRITE_BEHIND_MS));
    // Another reader of the same files (as the next start after a SIGKILL would be) finds them all.
    const reader = new Spool(dir, { bootId: "b", runId: "reader", monoNow: () => 0, wallNow: () => 0 }, new MemoryLogger());
    expect(reader.points).toBe(5000);
    reader.close();
    r.pipeline.ingest(r.origin, seqPoints(5000, 100));
    expect(drainAll(r.queue, 777)).toEqual(Array.from({ length: 5100 }, (_, i) => i));
    identity(r);
  });

  it("durability always hands out points only once they are synced to the device (the sync runs off the event loop)", async () => {
    const r = rig({ durability: "always" }, join(tempDir(), "spool"));
    r.pipeline.ingest(r.origin, seqPoints(0, 100));
    expect(r.queue.take(1000, 1e9)).toBeUndefined();
    let woke = false;
    r.queue.onAvailable(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(woke).toBe(false);
    await r.queue.settled();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(woke).toBe(true);
    expect(drainAll(r.queue)).toEqual(seqPoints(0, 100).map((p) => p.value));
  });

  it("durability always puts every batch on disk before it is taken; a new run replays unacknowledged ones", async () => {
    const dir = tempDir();
    const path = join(dir, "src.db");
    const first = makeRig({ durability: "always" }, path, "run-a");
    first.queue.setUplinkUp(true);
    first.pipeline.ingest(first.origin, seqPoints(0, 3000));
    await first.queue.settled();
    const taken = first.queue.take(1000, 1e9)!;
    first.queue.ack(taken);
    first.queue.take(1000, 1e9); // in flight when the process "dies": never acknowledged
    // No close(): the rows are already on disk.
    const second = rig({ durability: "always" }, path, "run-b");
    second.queue.setUplinkUp(true);
    const values = drainAll(second.queue);
    // Acknowledged points were marked done on disk at once: only the batch in flight comes again.
    expect(values).toEqual(Array.from({ length: 2000 }, (_, i) => 1000 + i));
    const stats = second.pipeline.stats();
    expect(stats.adapters["(spool)"].acknowledged).toBe(values.length);
    identity(second);
  });

  it("drop_oldest with memory and spool full drops the oldest points on disk and counts them", () => {
    const dir = tempDir();
    const r = rig(
      { durability: "spill", spool_max_bytes: 200_000, memory_max_points: 5000, when_full: "drop_oldest" },
      join(dir, "src"),
      "run-1",
      { segmentBytes: 32 * 1024 },
    );
    r.queue.setUplinkUp(false);
    for (let i = 0; i < 20; i++) {
      r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
      r.queue.persist();
    }
    const source = identity(r);
    expect(source.dropped).toBeGreaterThan(0);
    const values = drainAll(r.queue);
    expect(values.at(-1)).toBe(19_999);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(identity(r).pending).toBe(0);
  });

  it("close() spools everything not acknowledged, including batches in flight", () => {
    const dir = tempDir();
    const path = join(dir, "src.db");
    const first = makeRig({ durability: "spill" }, path, "run-a");
    first.queue.setUplinkUp(true);
    first.pipeline.ingest(first.origin, seqPoints(0, 500));
    first.queue.take(100, 1e9);
    first.queue.close();
    const second = rig({ durability: "spill" }, path, "run-b");
    expect(drainAll(second.queue)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
