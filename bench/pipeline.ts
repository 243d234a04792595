/**
 * validate → queue → take/ack, in process, for the memory path and for `durability: always`
 * (every point through the SQLite spool). Prints points/s, CPU µs per point and memory.
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

function run(name: string, options: Partial<QueueOptions>, withSpool: boolean) {
  const clock = new BridgeClock();
  const log = new ConsoleLogger({ level: "warn" });
  const pipeline = new Pipeline(clock, log);
  const dir = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  const parsed = queueSection.parse(options);
  const spool = withSpool
    ? new Spool(
        join(dir, "bench.db"),
        { bootId: bootId(), runId: "bench", monoNow: () => clock.monotonicMs(), wallNow: () => Date.now() },
        log,
        // As the daemon opens it: `always` syncs every commit to the device (power-cut safe).
        { syncEveryCommit: parsed.durability === "always" },
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
  let peakRss = 0;
  for (let sent = 0, b = 0; sent < TOTAL; sent += EMIT, b++) {
    pipeline.ingest(origin, batches[b % batches.length]);
    if ((b + 1) % (TAKE / EMIT) === 0) {
      for (let batch = queue.take(TAKE, 900_000); batch; batch = queue.take(TAKE, 900_000)) {
        delivered += batch.points.length;
        queue.ack(batch);
      }
      if (b % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
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
    `${name.padEnd(28)} ${Math.round(TOTAL / seconds)
      .toLocaleString("en-US")
      .padStart(
        11,
      )} points/s   ${cpuUs.toFixed(3)} µs CPU/point   peak RSS ${(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20).toFixed(0)} MiB   (${TOTAL.toLocaleString("en-US")} points)`,
  );
}

console.log(`bench/pipeline: validate → queue → take/ack, ${EMIT} points per emit, ${TAKE} per batch (node ${process.version})`);
run("memory (durability: memory)", { durability: "memory" }, false);
run("memory (durability: spill)", { durability: "spill" }, true);
run("spool (durability: always)", { durability: "always" }, true);
