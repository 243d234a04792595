import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BridgeClock, bootId } from "../src/clock.js";
import { ConsoleLogger } from "../src/log.js";
import { Pipeline } from "../src/pipeline/pipeline.js";
import { SourceQueue } from "../src/pipeline/queue.js";
import { queueSection } from "../src/pipeline/queue-options.js";
import { Spool } from "../src/pipeline/spool.js";
const clock = new BridgeClock();
const log = new ConsoleLogger({ level: "warn" });
const pipeline = new Pipeline(clock, log);
const dir = mkdtempSync(join(tmpdir(), "b-"));
const spool = new Spool(join(dir, "b.db"), { bootId: bootId(), runId: "r", monoNow: () => clock.monotonicMs(), wallNow: () => Date.now() }, log);
const origin = pipeline.addAdapter({ id: "bench", sourceId: "bench", prefix: "bench.", tags: { site: "lab" }, stream: "always" });
const queue = new SourceQueue("bench", queueSection.parse({ durability: "always" }), pipeline.countersFor("bench"), log, spool);
pipeline.addQueue(queue);
queue.setUplinkUp(true);
const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 1000 }, (_, i) => ({ metric: `signal_${i % 50}`, value: b * 1000 + i + 0.5, tags: i % 4 === 0 ? { bus: "can0" } : undefined })));
const t0 = performance.now();
for (let b = 0; b < 3000; b++) {
  pipeline.ingest(origin, batches[b % 10]);
  if (b % 5 === 4) for (let x = queue.take(5000, 900000); x; x = queue.take(5000, 900000)) queue.ack(x);
}
console.log(Math.round(3e6 / ((performance.now() - t0) / 1000)), "points/s");
