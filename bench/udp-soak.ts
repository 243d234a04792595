/**
 * UDP datagrams lost in the kernel while the bridge's event loop is busy (issue 9 item 4).
 * A vehicle (child process) sends vtol.tlog's MAVLink frames as UDP datagrams at a steady rate
 * to the bridge (this process: the real daemon, MAVLink adapter, default spill queue and
 * WebSocket uplink) delivering to the local gateway (child process, with faults). Prints:
 * - kernel receive drops: Udp RcvbufErrors in /proc/net/snmp, before/after (machine-wide: other
 *   processes' drops count too) and the bridge socket's own `drops` in /proc/net/udp;
 * - event-loop delay p50/p99/max over the run (perf_hooks.monitorEventLoopDelay);
 * - emit→gateway latency p50/p99/max (points are stamped when their datagram is read).
 *   npx tsx bench/udp-soak.ts [--rate N --seconds S --drop-every 2s --durability spill --receive-buffer 4MiB]
 * Without --rate: 4,000/s with the gateway dropping every 2 s, then 10,000/s with a steady gateway.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config/index.js";
import { parseDuration } from "../src/config/units.js";
import { Daemon } from "../src/daemon.js";
import { EventLoopDelayMonitor } from "../src/event-loop-delay.js";
import { ConsoleLogger } from "../src/log.js";
import { Uplink } from "../src/uplink/uplink.js";
import { forkGateway, percentile } from "./lib/gateway-child.js";
import { loadNote } from "./lib/load.js";
import { forkUdpSender } from "./lib/udp-sender.js";

const TLOG = fileURLToPath(new URL("../test/fixtures/mavlink/vtol.tlog", import.meta.url));

const option = (name: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};

interface Scenario {
  rate: number;
  seconds: number;
  dropEveryMs: number;
  durability: string;
  receiveBuffer?: string;
}

function udpRcvbufErrors(): number {
  const lines = readFileSync("/proc/net/snmp", "utf8")
    .split("\n")
    .filter((line) => line.startsWith("Udp:"));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf("RcvbufErrors")]);
}

/** The `drops` column of /proc/net/udp for the socket bound to 127.0.0.1:port. */
function socketDrops(port: number): number | undefined {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local) return Number(fields[fields.length - 1]);
  }
  return undefined;
}

async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

async function run(s: Scenario): Promise<void> {
  const gateway = await forkGateway({ dropEveryMs: s.dropEveryMs }, 7);
  const udpPort = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), "plexus-udp-soak-"));
  const file = join(dir, "bridge.yaml");
  const sourceId = "udp-soak";
  writeFileSync(
    file,
    [
      `plexus: {source_id: ${sourceId}, url: "${gateway.url}", api_key: plx_bench}`,
      `state_dir: ${join(dir, "state")}`,
      `queue: {durability: ${s.durability}}`,
      "adapters:",
      "  fc:",
      "    type: mavlink",
      `    connection: udp://127.0.0.1:${udpPort}`,
      ...(s.receiveBuffer ? [`    receive_buffer: ${s.receiveBuffer}`] : []),
      "",
    ].join("\n"),
  );
  const { config, problems } = await loadConfig(file);
  if (!config) throw new Error(JSON.stringify(problems));
  const log = new ConsoleLogger({ level: "warn" });
  let uplink: Uplink | undefined;
  const daemon = new Daemon(config, {
    log,
    stateDir: config.stateDir!,
    sinkFactory: (context) => {
      uplink = new Uplink({
        options: config.plexus,
        apiKey: config.apiKey,
        source: context.queue,
        clock: context.clock,
        log: context.log,
        stateDir: config.stateDir!,
        sensors: context.sensors,
        control: context.control,
        agentVersion: "bench",
      });
      return uplink;
    },
  });
  await daemon.start();
  while (!uplink?.stats().connected || daemon.stats().adapter_state.fc?.link !== "up") await new Promise((r) => setTimeout(r, 20));
  await gateway.report(sourceId); // reset its counters
  const loop = new EventLoopDelayMonitor().start();
  const snmpBefore = udpRcvbufErrors();
  const socketBefore = socketDrops(udpPort) ?? 0;
  const cpu0 = process.cpuUsage();
  const sent = await forkUdpSender({ file: TLOG, port: udpPort, rate: s.rate, seconds: s.seconds }).done;
  const snmpAfter = udpRcvbufErrors();
  const socketAfter = socketDrops(udpPort) ?? Number.NaN;
  const cpu = process.cpuUsage(cpu0);
  const delay = loop.stats();
  loop.stop();
  // What was read must reach the gateway too: wait for the queue to empty (bounded).
  const drainUntil = performance.now() + 30_000;
  while (daemon.stats().sources[sourceId].pending > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  const report = await gateway.report(sourceId);
  const stats = daemon.stats();
  const counters = stats.sources[sourceId];
  await daemon.stop();
  gateway.exit();
  rmSync(dir, { recursive: true, force: true });
  const sorted = report.latencies.sort((a, b) => a - b);
  const name = `${s.rate.toLocaleString("en-US")} datagrams/s ${s.seconds}s, ${s.dropEveryMs ? `gateway drops every ${s.dropEveryMs / 1000}s` : "steady gateway"}, ${s.durability}`;
  console.log(
    `${name.padEnd(56)} kernel drops: RcvbufErrors +${snmpAfter - snmpBefore} (machine-wide), socket drops +${socketAfter - socketBefore}  ` +
      `event loop delay p50 ${delay.p50_ms} ms p99 ${delay.p99_ms} ms max ${delay.max_ms} ms  ` +
      `emit→gateway p50 ${percentile(sorted, 50)} ms p99 ${percentile(sorted, 99)} ms max ${sorted.at(-1)} ms  ` +
      `(${sent.toLocaleString("en-US")} sent, ${counters.received.toLocaleString("en-US")} points read, ${report.count.toLocaleString("en-US")} at gateway, ` +
      `${counters.pending} pending, ${stats.adapter_state.fc?.counters.udp_backlog_dropped ?? 0} dropped over the backlog, ${uplink?.stats().connects} connects, ` +
      `bridge CPU ${((cpu.user + cpu.system) / 1e3 / s.seconds / 10).toFixed(0)} % of a core, ${loadNote()})`,
  );
}

async function main() {
  const seconds = Number(option("--seconds") ?? 20);
  const durability = option("--durability") ?? "spill";
  const receiveBuffer = option("--receive-buffer");
  console.log(
    `bench/udp-soak: vtol.tlog as UDP datagrams → MAVLink adapter → ${durability} queue → WebSocket → local gateway, node ${process.version}`,
  );
  const rate = option("--rate");
  if (rate !== undefined) {
    const dropEvery = option("--drop-every");
    await run({ rate: Number(rate), seconds, dropEveryMs: dropEvery ? parseDuration(dropEvery)! : 0, durability, receiveBuffer });
  } else {
    await run({ rate: 4000, seconds, dropEveryMs: 2000, durability, receiveBuffer });
    await run({ rate: 10_000, seconds, dropEveryMs: 0, durability, receiveBuffer });
  }
  process.exit(0);
}

void main();
