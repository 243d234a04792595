/** Builds a pipeline + queue pair as the daemon does, for queue and pipeline tests. */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { BridgeClock, bootId } from "../../src/clock.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { SourceQueue } from "../../src/pipeline/queue.js";
import { type QueueOptions, queueSection } from "../../src/pipeline/queue-options.js";
import { Spool, type SpoolOptions } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";

export function tempDir(prefix = "plexus-bridge-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface QueueRig {
  pipeline: Pipeline;
  queue: SourceQueue;
  clock: BridgeClock;
  log: MemoryLogger;
  origin: number;
  spoolPath?: string;
}

export function makeRig(
  options: Partial<QueueOptions> = {},
  spoolPath?: string,
  runId = "run-1",
  spoolOptions: SpoolOptions = {},
): QueueRig {
  const clock = new BridgeClock();
  const log = new MemoryLogger();
  const pipeline = new Pipeline(clock, log);
  const parsed = queueSection.parse(options);
  const spool =
    spoolPath && parsed.durability !== "memory"
      ? new Spool(spoolPath, { bootId: bootId(), runId, monoNow: () => clock.monotonicMs(), wallNow: () => Date.now() }, log, spoolOptions)
      : undefined;
  const origin = pipeline.addAdapter({ id: "a1", sourceId: "src", prefix: "a1.", stream: "always" });
  const queue = new SourceQueue("src", parsed, pipeline.countersFor("src"), log, spool);
  pipeline.addQueue(queue);
  return { pipeline, queue, clock, log, origin, spoolPath };
}

export function seqPoints(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ metric: "seq", value: from + i }));
}

/** Takes and acknowledges everything; returns the values in the order delivered. */
export function drainAll(queue: SourceQueue, maxPoints = 1000): number[] {
  const values: number[] = [];
  for (;;) {
    const batch = queue.take(maxPoints, 1_000_000);
    if (!batch) return values;
    for (const point of batch.points) values.push(point.value as number);
    queue.ack(batch);
  }
}

/** Takes and acknowledges `batches` batches of at most `maxPoints`; returns how many points that delivered. */
export function deliverBatches(queue: SourceQueue, batches: number, maxPoints: number): number {
  let delivered = 0;
  for (let n = 0; n < batches; n++) {
    const batch = queue.take(maxPoints, 1e9)!;
    delivered += batch.points.length;
    queue.ack(batch);
  }
  return delivered;
}

/** A makeRig() whose queues are closed after each test of the file that calls it. */
export function rigsClosedAfterEach(): (...args: Parameters<typeof makeRig>) => QueueRig {
  const rigs: QueueRig[] = [];
  afterEach(() => {
    for (const r of rigs.splice(0)) r.queue.close();
  });
  return (...args) => {
    const r = makeRig(...args);
    rigs.push(r);
    return r;
  };
}

/** Checks received = invalid + dropped + acknowledged + pending for every source and adapter; returns source "src". */
export function balanced(r: QueueRig) {
  const stats = r.pipeline.stats();
  for (const counters of [...Object.values(stats.sources), ...Object.values(stats.adapters)]) {
    expect(counters.received).toBe(counters.invalid + counters.dropped + counters.acknowledged + counters.pending);
  }
  return stats.sources.src;
}
