/**
 * validate → queue → take/ack, in process, per durability. Prints points/s, CPU µs per point and memory.
 *   memory                        never touches the disk
 *   spill, uplink keeping up      the write-behind runs every 100k points (50 ms at 2 M/s), after
 *                                 the acks: what was acknowledged in time is never written
 *   spill, every point written    the write-behind runs before the acks (a slow or absent uplink):
 *                                 each point is written, read from memory, marked done on disk
 *   always                        written and synced (fdatasync, in the thread pool) before it is
 *                                 taken: the bench waits for the sync every 5,000 points
 *   npx tsx bench/pipeline.ts [--points N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BridgeClock, bootId } from "../src/clock.js";
import { ConsoleLogger } from "../src/log.js";
import { Pipeline } from "../src/pipeline/pipeline.js";
import type { PointInput } from "../src/pipeline/point.js";
import { SourceQueue } from "../src/pipeline/queue.js";
import { type QueueOptions, queueSection } from "../src/pipeline/queue-options.js";
import { Spool } from "../src/pipeline/spool.js";

const argIndex = process.argv.indexOf("--points");
const TOTAL = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 5_000_000;
const EMIT = 1000;
const TAKE = 5000;

function inputs(): PointInput[][] {
  // Ten distinct emit() batches, reused: an adapter's decode allocates its points too, but that is the adapter's cost.
  return Array.from({ length: 10 }, (_, b) =>
    Array.from({ length: EMIT }, (_, i) => ({
      metric: `signal_${i % 50}`,
      value: b * EMIT + i + 0.5,
      tags: i % 4 === 0 ? { bus: "can0" } : undefined,
    })),
  );
}

type WriteBehind = "none" | "after-acks" | "before-acks";
/** Points between two write-behind runs: 50 ms of arrivals at 2 M points/s. */
const WRITE_BEHIND_EVERY = 100_000;

async function run(name: string, options: Partial<QueueOptions>, withSpool: boolean, writeBehind: WriteBehind = "none") {
  const clock = new BridgeClock();
  const log = new ConsoleLogger({ level: "warn" });
  const pipeline = new Pipeline(clock, log);
  const dir = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  const parsed = queueSection.parse(options);
  const spool = withSpool
    ? new Spool(
        join(dir, "bench"),
        { bootId: bootId(), runId: "bench", monoNow: () => clock.monotonicMs(), wallNow: () => Date.now() },
        log,
      )
    : undefined;
  const origin = pipeline.addAdapter({ id: "bench", sourceId: "bench", prefix: "bench.", tags: { site: "lab" }, stream: "always" });
  const queue = new SourceQueue("bench", parsed, pipeline.countersFor("bench"), log, spool);
  pipeline.addQueue(queue);
  queue.setUplinkUp(true);
  const batches = inputs();
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let delivered = 0;
  /** The duration of each write-behind run. */
  const persistMs: number[] = [];
  let peakRss = 0;
  for (let sent = 0, b = 0; sent < TOTAL; sent += EMIT, b++) {
    pipeline.ingest(origin, batches[b % batches.length]);
    const due = (sent + EMIT) % WRITE_BEHIND_EVERY === 0;
    // The same call on any version: a disconnect writes behind at once.
    const persist = () => {
      const started = performance.now();
      queue.setUplinkUp(false);
      queue.setUplinkUp(true);
      persistMs.push(performance.now() - started);
    };
    if (due && writeBehind === "before-acks") persist();
    if ((b + 1) % (TAKE / EMIT) === 0) {
      // `always` hands out points once synced (fdatasync off the event loop): wait for it, as the uplink does.
      if (parsed.durability === "always") await queue.settled();
      for (let batch = queue.take(TAKE, 900_000); batch; batch = queue.take(TAKE, 900_000)) {
        delivered += batch.points.length;
        queue.ack(batch);
      }
      if (b % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    if (due && writeBehind === "after-acks") persist();
  }
  await queue.settled();
  for (let batch = queue.take(TAKE, 900_000); batch; batch = queue.take(TAKE, 900_000)) {
    delivered += batch.points.length;
    queue.ack(batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const counters = pipeline.stats().sources.bench;
  if (delivered !== TOTAL || counters.acknowledged !== TOTAL || counters.pending !== 0) {
    throw new Error(`${name}: delivered ${delivered} of ${TOTAL} (${JSON.stringify(counters)})`);
  }
  queue.close();
  rmSync(dir, { recursive: true, force: true });
  const cpuUs = (cpu.user + cpu.system) / TOTAL;
  console.log(
    `${name.padEnd(30)} ${Math.round(TOTAL / seconds)
      .toLocaleString("en-US")
      .padStart(
        11,
      )} points/s   ${cpuUs.toFixed(3)} µs CPU/point   peak RSS ${(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20).toFixed(0)} MiB   (${TOTAL.toLocaleString("en-US")} points)${writeBehind === "before-acks" ? writeBehindLine(persistMs) : ""}`,
  );
}

function writeBehindLine(persistMs: number[]): string {
  if (persistMs.length === 0) return "";
  const mean = persistMs.reduce((a, b) => a + b, 0) / persistMs.length;
  // The timer writes in slices of 8,192 points: the longest the event loop is held by one.
  return `\n${"".padEnd(30)} write-behind: ${mean.toFixed(1)} ms per ${WRITE_BEHIND_EVERY.toLocaleString("en-US")} points (≈ ${((mean * 8192) / WRITE_BEHIND_EVERY).toFixed(2)} ms per 8,192-point slice)`;
}

console.log(`bench/pipeline: validate → queue → take/ack, ${EMIT} points per emit, ${TAKE} per batch (node ${process.version})`);
await run("memory", { durability: "memory" }, false);
await run("spill, uplink keeping up", { durability: "spill" }, true, "after-acks");
await run("spill, every point written", { durability: "spill" }, true, "before-acks");
await run("always (synced before send)", { durability: "always" }, true);
