/**
 * Synthetic points → pipeline (validation) → queue → WebSocket uplink → local gateway (count
 * only, in a child process so its CPU is not the bridge's). Prints points/s, the bridge's CPU
 * per point (process.cpuUsage of this process), and emit→gateway latency p50/p99 (the gateway
 * compares each sampled point's timestamp with its own clock, which the bridge synced to).
 *   npx tsx bench/uplink.ts [--points N] [--seconds S]
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BridgeControl } from "../src/bridge-control.js";
import { BridgeClock } from "../src/clock.js";
import { ConsoleLogger } from "../src/log.js";
import { Pipeline } from "../src/pipeline/pipeline.js";
import type { PointInput } from "../src/pipeline/point.js";
import { SourceQueue } from "../src/pipeline/queue.js";
import { queueSection } from "../src/pipeline/queue-options.js";
import { plexusSection } from "../src/uplink/options.js";
import { Uplink } from "../src/uplink/uplink.js";

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

interface Report {
  count: number;
  frames: number;
  droppedSilently: number;
  rateLimited: number;
  latencies: number[];
  /** CPU the gateway process used since the previous report, µs. */
  cpuUs: number;
}

// ---- the gateway side (child process) ----
async function gatewayChild() {
  const { startGateway } = await import("../src/gateway/server.js");
  let count = 0;
  let latencies: number[] = [];
  let cpu = process.cpuUsage();
  const gateway = await startGateway({
    keepPoints: false,
    // onFrame, not onPoints: a count-only consumer lets the gateway validate frames on their
    // bytes (src/gateway/fast-telemetry.ts) instead of parsing them into objects.
    onFrame: (_source, frame) => {
      count += frame.count;
      const now = Date.now();
      for (let i = 0; i < frame.count; i += 97) latencies.push(now - (frame.timestamp(i) ?? now));
    },
  });
  process.send!({ port: gateway.port });
  process.on("message", (message: { cmd: string; source?: string }) => {
    if (message.cmd === "report") {
      const s = gateway.summary().get(message.source ?? "");
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      process.send!({
        cpuUs: used.user + used.system,
        count,
        frames: s?.framesAccepted ?? 0,
        droppedSilently: s?.framesDroppedSilently ?? 0,
        rateLimited: s?.framesRateLimited ?? 0,
        latencies,
      });
      count = 0;
      latencies = [];
    }
    if (message.cmd === "exit") void gateway.close().then(() => process.exit(0));
  });
}

// ---- the bridge side ----
const control: BridgeControl = {
  adapters: () => [],
  setSession() {},
  setStream() {},
  async setAdapterEnabled() {},
  async configureAdapter() {
    return {};
  },
  async adapterCommand() {
    return {};
  },
};

function ask(child: ChildProcess, source: string): Promise<Report> {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m as Report));
    child.send({ cmd: "report", source });
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

async function scenario(
  port: number,
  child: ChildProcess,
  name: string,
  uplinkOptions: Record<string, unknown>,
  run: (emit: (p: PointInput[]) => boolean, queue: SourceQueue) => Promise<number>,
) {
  const clock = new BridgeClock();
  const log = new ConsoleLogger({ level: "warn" });
  const pipeline = new Pipeline(clock, log);
  const sourceId = `bench-${name.replace(/\W+/g, "-").toLowerCase()}`;
  const queue = new SourceQueue(
    sourceId,
    queueSection.parse({ durability: "memory" }), // the shipped memory bounds
    pipeline.countersFor(sourceId),
    log,
  );
  pipeline.addQueue(queue);
  const origin = pipeline.addAdapter({ id: "bench", sourceId, prefix: "bench.", stream: "always" });
  const uplink = new Uplink({
    options: plexusSection.parse({ url: `http://127.0.0.1:${port}`, source_id: sourceId, ...uplinkOptions }),
    apiKey: "plx_bench",
    source: queue,
    clock,
    log,
    stateDir: "/tmp/plexus-bridge-bench-state",
    sensors: () => [],
    control,
    agentVersion: "bench",
  });
  uplink.start();
  while (!uplink.stats().connected) await new Promise((resolve) => setTimeout(resolve, 10));
  await ask(child, sourceId); // reset the gateway's counters
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const emitted = await run((points) => pipeline.ingest(origin, points), queue);
  while (pipeline.stats().sources[sourceId].pending > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const report = await ask(child, sourceId);
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
  // `node --cpu-prof … bench/uplink.ts` profiles the gateway child too.
  const profiling = process.execArgv.filter((flag) => flag.startsWith("--cpu-prof"));
  const child = fork(fileURLToPath(import.meta.url), ["--gateway-child"], { execArgv: ["--import", "tsx", ...profiling] });
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve((m as { port: number }).port)));
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
  await scenario(port, child, "max rate, default delivery, 5ms", {}, flat);
  await scenario(port, child, "max rate, default delivery, 2ms", { frame_interval: "2ms" }, flat);
  await scenario(port, child, "max rate, pipelined 50×4, 5ms", pipelined, flat);
  await scenario(port, child, "max rate, pipelined 50×4, 2ms", { ...pipelined, frame_interval: "2ms" }, flat);

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
  await scenario(port, child, "100,000 points/s paced, default", {}, paced);
  child.send({ cmd: "exit" });
}

if (process.argv.includes("--gateway-child")) void gatewayChild();
else void main();
