/**
 * The spool-backed queue under random operations (seeded): enqueue, take, acknowledge, give back,
 * quarantine, write behind, evict (a small memory bound) and clean restarts. Whatever the mix,
 * no point is acknowledged twice across restarts, none is lost, the identity holds at every step,
 * and the pending count at each stop is what the next start replays.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Batch } from "../../src/pipeline/batch-source.js";
import { type QueueRig, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();

function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
}

function identity(r: QueueRig) {
  const s = r.pipeline.stats().sources.src;
  expect(s.received).toBe(s.invalid + s.dropped + s.acknowledged + s.pending);
  return s;
}

describe("spool-backed queue under random operations", () => {
  for (const [seed, durability] of [
    [1, "spill"],
    [7, "spill"],
    [42, "spill"],
    [3, "memory"],
  ] as const) {
    it(`seed ${seed}, ${durability}: every point acknowledged exactly once or counted as dropped, across clean restarts`, () => {
      const next = random(seed);
      const dir = join(tempDir(), "spool");
      const options = { durability, memory_max_points: 3000 };
      let run = 1;
      let r = rig(options, dir, `run-${run}`, { segmentBytes: 64 * 1024 });
      const acked = new Set<number>();
      let ingested = 0;
      let droppedBefore = 0;
      let inflight: Batch[] = [];
      for (let step = 0; step < 1000; step++) {
        const op = next(100);
        if (op < 25) {
          const n = 1 + next(400);
          r.pipeline.ingest(r.origin, seqPoints(ingested, n));
          ingested += n;
        } else if (op < 50) {
          const batch = r.queue.take(1 + next(700), 1e9);
          if (batch) inflight.push(batch);
        } else if (op < 70 && inflight.length > 0) {
          const [batch] = inflight.splice(next(inflight.length), 1);
          for (const p of batch.points) {
            expect(acked.has(p.value as number), `value ${p.value} acknowledged twice`).toBe(false);
            acked.add(p.value as number);
          }
          r.queue.ack(batch);
        } else if (op < 80 && inflight.length > 0) {
          r.queue.giveBack(inflight.splice(next(inflight.length), 1)[0]);
        } else if (op < 83 && inflight.length > 0) {
          const batch = inflight[next(inflight.length)];
          if (batch.points.length > 0) r.queue.quarantine(batch, next(batch.points.length), "refused by the gateway");
        } else if (op < 93) {
          r.queue.persist();
        } else if (op < 95) {
          r.queue.close();
          const atStop = identity(r);
          droppedBefore += atStop.dropped;
          inflight = [];
          r = rig(options, dir, `run-${++run}`, { segmentBytes: 64 * 1024 });
          expect(r.queue.pending).toBe(atStop.pending);
        }
        identity(r);
        // The uplink waits for onAvailable(): it must fire exactly when take() has something (else it spins).
        const waiting = (r.queue as unknown as { hasWaiting(): boolean }).hasWaiting();
        const probe = r.queue.take(1, 1e9);
        expect(probe !== undefined, `step ${step}: hasWaiting() ${waiting} but take() ${probe ? "gave" : "had nothing"}`).toBe(waiting);
        if (probe) r.queue.giveBack(probe);
      }
      for (const batch of inflight.splice(0)) r.queue.giveBack(batch);
      for (let batch = r.queue.take(1000, 1e9); batch; batch = r.queue.take(1000, 1e9)) {
        for (const p of batch.points) {
          expect(acked.has(p.value as number), `value ${p.value} acknowledged twice`).toBe(false);
          acked.add(p.value as number);
        }
        r.queue.ack(batch);
      }
      const end = identity(r);
      expect(end.pending).toBe(0);
      expect(run).toBeGreaterThan(3);
      expect(acked.size + droppedBefore + end.dropped).toBe(ingested);
    });
  }
});
