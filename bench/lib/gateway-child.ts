/**
 * The local gateway in a child process for benchmarks, so its CPU is not the bridge's. Counts
 * points only and samples emit→gateway latency: each sampled point's timestamp against the
 * gateway's clock (the bridge synced to it). Faults as `plexus-bridge gateway` takes them.
 *   const gateway = await forkGateway({ dropEveryMs: 2000 });
 *   const report = await gateway.report("source-id");   // since the previous report
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { GatewayFaults } from "../../src/gateway/limits.js";

export interface GatewayReport {
  count: number;
  frames: number;
  droppedSilently: number;
  rateLimited: number;
  /** Sampled emit→gateway latencies, ms. */
  latencies: number[];
  /** CPU the gateway process used since the previous report, µs. */
  cpuUs: number;
}

export interface GatewayChild {
  port: number;
  url: string;
  report(source: string): Promise<GatewayReport>;
  exit(): void;
}

const CHILD_FLAG = "--bench-gateway-child";

/** Every `sampleEvery`-th point's latency is kept. */
export async function forkGateway(faults: Partial<GatewayFaults> = {}, sampleEvery = 97): Promise<GatewayChild> {
  // `node --cpu-prof … bench/x.ts` profiles the gateway child too.
  const profiling = process.execArgv.filter((flag) => flag.startsWith("--cpu-prof"));
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, JSON.stringify({ faults, sampleEvery })], {
    execArgv: ["--import", "tsx", ...profiling],
  });
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve((m as { port: number }).port)));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    report: (source) =>
      new Promise((resolve) => {
        child.once("message", (m) => resolve(m as GatewayReport));
        child.send({ cmd: "report", source });
      }),
    exit: () => child.send({ cmd: "exit" }),
  };
}

async function gatewayChild(settings: { faults: Partial<GatewayFaults>; sampleEvery: number }) {
  const { startGateway } = await import("../../src/gateway/server.js");
  let count = 0;
  let latencies: number[] = [];
  let cpu = process.cpuUsage();
  const gateway = await startGateway({
    keepPoints: false,
    faults: settings.faults,
    // onFrame, not onPoints: a count-only consumer lets the gateway validate frames on their
    // bytes (src/gateway/fast-telemetry.ts) instead of parsing them into objects.
    onFrame: (_source, frame) => {
      const now = Date.now();
      // Sampled across frames, not from each frame's start: small frames would all sample point 0.
      for (
        let i = (settings.sampleEvery - (count % settings.sampleEvery)) % settings.sampleEvery;
        i < frame.count;
        i += settings.sampleEvery
      )
        latencies.push(now - (frame.timestamp(i) ?? now));
      count += frame.count;
    },
  });
  process.send!({ port: gateway.port });
  process.on("message", (message: { cmd: string; source?: string }) => {
    if (message.cmd === "report") {
      const s = gateway.summary().get(message.source ?? "");
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      const report: GatewayReport = {
        cpuUs: used.user + used.system,
        count,
        frames: s?.framesAccepted ?? 0,
        droppedSilently: s?.framesDroppedSilently ?? 0,
        rateLimited: s?.framesRateLimited ?? 0,
        latencies,
      };
      process.send!(report);
      count = 0;
      latencies = [];
    }
    if (message.cmd === "exit") void gateway.close().then(() => process.exit(0));
  });
}

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const flag = process.argv.indexOf(CHILD_FLAG);
if (flag > 0) void gatewayChild(JSON.parse(process.argv[flag + 1]));
