/**
 * What the status server costs: the bridge on the demo config (real MAVLink and CAN replays) in
 * a child process, delivering to the local gateway in this process, measured from /proc over a
 * window: CPU seconds and RSS of the bridge alone, in four modes:
 *   off        status: false, telemetry: false
 *   status     the status server on (collector ticking every second), nobody watching
 *   page       the same with a page open: /api/history once, then /events read continuously
 *              (what the browser asks of the bridge; the browser's own CPU is not the bridge's)
 *   default    as shipped: status server and the bridge's own telemetry every 10 s
 *   npx tsx bench/status.ts [--seconds 60] [--modes off,status,page,default]
 */
import { type ChildProcess, execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startGateway } from "../src/gateway/server.js";

const root = join(import.meta.dirname, "..");
const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const seconds = Number(arg("--seconds", "60"));
const modes = arg("--modes", "off,status,page,default").split(",");
const WARMUP_MS = 5000;
const CLK_TCK = Number(execSync("getconf CLK_TCK").toString().trim());

const SECTIONS: Record<string, string> = {
  off: "status: false\ntelemetry: false\n",
  status: "status: {listen: 127.0.0.1:0}\ntelemetry: false\n",
  page: "status: {listen: 127.0.0.1:0}\ntelemetry: false\n",
  default: "status: {listen: 127.0.0.1:0}\n",
};

function cpuSeconds(pid: number): number {
  // /proc/PID/stat: the command may hold spaces, so count fields after its closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Reads /events until aborted, as an open page does. */
async function openPage(url: string, signal: AbortSignal): Promise<number> {
  await (await fetch(`${url}/api/history`, { headers: { "accept-encoding": "gzip" }, signal })).arrayBuffer();
  let bytes = 0;
  try {
    const response = await fetch(`${url}/events`, { signal });
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  } catch {
    // aborted at the end of the window
  }
  return bytes;
}

async function measure(mode: string) {
  let delivered = 0;
  const gateway = await startGateway({
    host: "127.0.0.1",
    port: 0,
    keepPoints: false,
    onFrame: (_source, frame) => (delivered += frame.count),
  });
  const dir = mkdtempSync(join(tmpdir(), "plexus-bench-status-"));
  const demo = readFileSync(join(root, "config", "demo.yaml"), "utf8").replaceAll(
    "../test/fixtures/",
    `${join(root, "test", "fixtures")}/`,
  );
  const file = join(dir, "demo.yaml");
  writeFileSync(file, `${demo}\n${SECTIONS[mode]}state_dir: ${join(dir, "state")}\n`);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli.ts"), "run", "-c", file], {
    env: { ...process.env, PLEXUS_DEMO_URL: gateway.url },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let statusUrl: string | undefined;
  const running = new Promise<void>((resolve) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      statusUrl ??= /status server on (\S+)/.exec(line)?.[1];
      if (line.includes("running 2 adapter(s)")) resolve();
    });
  });
  await running;
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const pid = child.pid!;
  const abort = new AbortController();
  const page = mode === "page" && statusUrl ? openPage(statusUrl, abort.signal) : Promise.resolve(0);
  const cpuStart = cpuSeconds(pid);
  const deliveredStart = delivered;
  const rss: number[] = [];
  for (let s = 0; s < seconds; s++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rss.push(rssBytes(pid));
  }
  const cpu = cpuSeconds(pid) - cpuStart;
  const points = delivered - deliveredStart;
  abort.abort();
  const sseBytes = await page;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  const avg = rss.reduce((a, b) => a + b, 0) / rss.length;
  console.log(
    `${mode.padEnd(8)} CPU ${cpu.toFixed(2).padStart(6)} s over ${seconds} s (${((cpu / seconds) * 100).toFixed(1).padStart(5)} % of a core)   RSS avg ${mib(avg)} MiB, max ${mib(Math.max(...rss))} MiB   ${points.toLocaleString("en-US")} points delivered${sseBytes ? `   page: ${(sseBytes / 1024 / seconds).toFixed(1)} KiB/s of events` : ""}`,
  );
}

console.log(
  `bridge on config/demo.yaml, ${seconds} s windows after ${WARMUP_MS / 1000} s warm-up; CPU and RSS of the bridge process (/proc)`,
);
for (const mode of modes) await measure(mode);

// ---- the same work timed in this process: what one tick of the status server costs ----
async function perTick() {
  const { loadConfig } = await import("../src/config/index.js");
  const { Daemon } = await import("../src/daemon.js");
  const { ConsoleLogger } = await import("../src/log.js");
  const { startOperations } = await import("../src/status/index.js");
  const { renderMetrics } = await import("../src/status/metrics.js");
  const { eventMessage, historyOf } = await import("../src/status/server.js");
  const { uplinkSinks } = await import("../src/uplink/sink.js");
  const gateway = await startGateway({ host: "127.0.0.1", port: 0, keepPoints: false });
  const dir = mkdtempSync(join(tmpdir(), "plexus-bench-status-"));
  const demo = readFileSync(join(root, "config", "demo.yaml"), "utf8").replaceAll(
    "../test/fixtures/",
    `${join(root, "test", "fixtures")}/`,
  );
  const file = join(dir, "demo.yaml");
  writeFileSync(file, `${demo}\nstatus: {listen: 127.0.0.1:0}\ntelemetry: false\n`);
  const { config } = await loadConfig(file, { env: { ...process.env, PLEXUS_DEMO_URL: gateway.url } });
  const log = new ConsoleLogger({ level: "error" });
  const daemon = new Daemon(config!, { log, stateDir: join(dir, "state"), sinkFactory: uplinkSinks(config!, join(dir, "state"), "bench") });
  await daemon.start();
  const operations = await startOperations(daemon, config!, log, "bench");
  const collector = operations.collector!;
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const time = (rounds: number, work: () => unknown) => {
    const start = process.cpuUsage();
    for (let i = 0; i < rounds; i++) work();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / rounds;
  };
  let changed = collector.history.record(daemon.pipeline.latest(), Date.now());
  const rounds = 50;
  const tick = time(rounds, () => collector.tick());
  changed = [...collector.history.all()];
  const event = time(rounds, () => eventMessage(collector.latest, changed, collector.history));
  const metrics = time(rounds, () => renderMetrics(collector.latest));
  const history = time(10, () => JSON.stringify(historyOf(collector.history)));
  console.log(
    `per tick, ${collector.history.size} metrics: collect + history ${tick.toFixed(2)} ms CPU (${(tick / 10).toFixed(2)} % of a core at 1 tick/s); one page's event ${event.toFixed(2)} ms (${(eventMessage(collector.latest, changed, collector.history).length / 1024).toFixed(0)} KiB, every value changed); /metrics ${metrics.toFixed(2)} ms; /api/history ${history.toFixed(1)} ms`,
  );
  await operations.close();
  await daemon.stop();
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
}
if (!process.argv.includes("--no-tick")) await perTick();
