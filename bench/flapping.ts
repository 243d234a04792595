/**
 * A flapping link (issue 9 item 5): the local gateway (child process) drops every device
 * connection every 2 s (`plexus-bridge gateway --drop-every 2s`, no close frame), while the
 * bridge emits a steady 10,000 points/s (100 points every 10 ms) through the pipeline, a memory
 * queue and the WebSocket uplink with its default options (stable_after 30 s, reconnect_min 1 s).
 * Prints emit→gateway latency p50/p99/max (each sampled point's timestamp against the gateway's
 * clock, which the bridge synced to), the reconnects, and the duplicates the drops caused.
 *   npx tsx bench/flapping.ts [--seconds 30] [--drop-every 2s] [--rate 10000]
 */
import { parseDuration } from "../src/config/units.js";
import { forkGateway, percentile } from "./lib/gateway-child.js";
import { loadNote } from "./lib/load.js";
import { startUplinkRig } from "./lib/uplink-rig.js";

const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};

async function main() {
  const seconds = Number(option("--seconds", "30"));
  const dropEveryMs = parseDuration(option("--drop-every", "2s"))!;
  const rate = Number(option("--rate", "10000"));
  const perTick = rate / 100;
  console.log(
    `bench/flapping: ${rate.toLocaleString("en-US")} points/s for ${seconds} s, gateway drops every connection every ${dropEveryMs} ms, node ${process.version}`,
  );
  const gateway = await forkGateway({ dropEveryMs }, 13);
  const rig = await startUplinkRig(gateway.url, "flapping", {});
  await gateway.report(rig.sourceId);
  const start = performance.now();
  let emitted = 0;
  for (let tick = 0; tick < seconds * 100; tick++) {
    const wait = start + tick * 10 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    rig.emit(Array.from({ length: perTick }, (_, i) => ({ metric: `signal_${i % 20}`, value: emitted + i })));
    emitted += perTick;
  }
  const drainUntil = performance.now() + 30_000;
  while (rig.pending() > 0 && performance.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
  const report = await gateway.report(rig.sourceId);
  const stats = rig.uplink.stats();
  await rig.uplink.stop(1000);
  gateway.exit();
  const sorted = report.latencies.sort((a, b) => a - b);
  console.log(
    `emit→gateway latency p50 ${percentile(sorted, 50)} ms  p99 ${percentile(sorted, 99)} ms  max ${sorted.at(-1)} ms  ` +
      `(${emitted.toLocaleString("en-US")} emitted, ${report.count.toLocaleString("en-US")} at gateway (${(report.count - emitted).toLocaleString("en-US")} duplicates), ` +
      `${rig.pending()} pending, ${stats.connects} connects, ${loadNote()})`,
  );
  process.exit(0);
}

void main();
