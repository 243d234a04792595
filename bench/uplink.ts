/**
 * Synthetic points → pipeline (validation) → queue → WebSocket uplink → local gateway (count
 * only, in a child process so its CPU is not the bridge's). Prints points/s, the bridge's CPU
 * per point (process.cpuUsage of this process), and emit→gateway latency p50/p99 (the gateway
 * compares each sampled point's timestamp with its own clock, which the bridge synced to).
 *   npx tsx bench/uplink.ts [--points N] [--seconds S]
 */
import type { PointInput } from "../src/pipeline/point.js";
import type { SourceQueue } from "../src/pipeline/queue.js";
import { forkGateway, type GatewayChild, percentile } from "./lib/gateway-child.js";
import { startUplinkRig } from "./lib/uplink-rig.js";

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

async function scenario(
  gateway: GatewayChild,
  name: string,
  uplinkOptions: Record<string, unknown>,
  run: (emit: (p: PointInput[]) => boolean, queue: SourceQueue) => Promise<number>,
) {
  const rig = await startUplinkRig(gateway.url, name, uplinkOptions);
  const { sourceId, uplink } = rig;
  await gateway.report(sourceId); // reset the gateway's counters
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const emitted = await run(rig.emit, rig.queue);
  while (rig.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const report = await gateway.report(sourceId);
  await uplink.stop(1000);
  const secondHalf = report.latencies.slice(report.latencies.length >> 1).sort((a, b) => a - b);
  const sorted = report.latencies.sort((a, b) => a - b);
  const stats = uplink.stats();
  console.log(
    `${name.padEnd(34)} ${Math.round(emitted / seconds)
      .toLocaleString("en-US")
      .padStart(
        10,
      )} points/s  ${((cpu.user + cpu.system) / emitted).toFixed(3)} µs bridge CPU/point  ${(report.cpuUs / Math.max(1, report.count)).toFixed(3)} µs gateway CPU/point  latency p50 ${percentile(sorted, 50)} ms p99 ${percentile(sorted, 99)} ms (2nd half p99 ${percentile(secondHalf, 99)})  ` +
      `(${emitted.toLocaleString("en-US")} emitted, ${report.count.toLocaleString("en-US")} at gateway, ${report.frames} frames, ${stats.windowsAcked} windows, ${report.droppedSilently} dropped silently, ${report.rateLimited} rate-limited)`,
  );
}

function makeBatches(size: number): PointInput[][] {
  return Array.from({ length: 10 }, (_, b) =>
    Array.from({ length: size }, (_, i) => ({ metric: `signal_${i % 50}`, value: b * size + i + 0.5 })),
  );
}

async function main() {
  const total = arg("--points", 5_000_000);
  const seconds = arg("--seconds", 5);
  const gateway = await forkGateway();
  console.log(`bench/uplink: pipeline → queue → WebSocket → local gateway (child process), node ${process.version}`);
  console.log("(max-rate rows: the producer outruns delivery, so their latency is time spent queued; the paced row measures latency)");

  const flat = async (emit: (p: PointInput[]) => boolean, queue: SourceQueue) => {
    const batches = makeBatches(1000);
    let sent = 0;
    for (let b = 0; sent < total; b++) {
      sent += 1000;
      if (!emit(batches[b % 10])) await queue.drained();
      // An adapter emits from I/O callbacks: yield to the event loop between emits like one.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return sent;
  };
  // Default delivery: one frame in flight, the next sent after its pong (nothing can be dropped
  // silently). Pipelined: windows of 50 frames, 4 in flight (faster on long links, not loss-proof).
  const pipelined = { ack_window_frames: 50, max_unacked_windows: 4 };
  await scenario(gateway, "max rate, default delivery, 5ms", {}, flat);
  await scenario(gateway, "max rate, default delivery, 2ms", { frame_interval: "2ms" }, flat);
  await scenario(gateway, "max rate, pipelined 50×4, 5ms", pipelined, flat);
  await scenario(gateway, "max rate, pipelined 50×4, 2ms", { ...pipelined, frame_interval: "2ms" }, flat);

  const paced = async (emit: (p: PointInput[]) => boolean) => {
    // 100,000 points/s: 1,000 points every 10 ms, on schedule.
    const batches = makeBatches(1000);
    const start = performance.now();
    let sent = 0;
    for (let tick = 0; tick < seconds * 100; tick++) {
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      emit(batches[tick % 10]);
      sent += 1000;
    }
    return sent;
  };
  await scenario(gateway, "100,000 points/s paced, default", {}, paced);
  gateway.exit();
}

void main();
