/**
 * Bytes on the wire per point, for each transport, frame size and reduction, on real points.
 * Run: npx tsx bench/wire.ts   (about a minute)
 *
 * Datasets (collected through `plexus-bridge tail`, i.e. the real adapters and pipeline):
 *   demo    config/demo.yaml's captures once through: the ArduSub dive (MAVLink, ATTITUDE at 10 Hz)
 *           and the VW MQB CAN capture decoded with its DBC
 *   flight  shared/data/mavlink/tlog/vtol.tlog (a VTOL flight, every message) when ../shared is there
 *   meter   the Eastron SDM630 map polled once a second by the Modbus adapter from the test Modbus
 *           server (the map and the poll are real; the register values are a simulated meter:
 *           mains voltages and currents with noise, energy counters that climb)
 *
 * Part 1 encodes each dataset as the uplink does (WebSocket JSON frames; HTTP bodies raw and
 * gzipped at levels 1, 6, 9) and prints bytes per point and GB a month at 1,000 points/s. zstd is
 * not listed: the gateway accepts Content-Encoding gzip only (PLEXUS-PROTOCOL.md).
 * Part 2 shows the adapters' own reductions and the shared `report` rules: points kept and bytes
 * per captured point.
 * Part 3 delivers through a byte-counting TCP proxy to the local gateway: what really crosses the
 * link per point (HTTP headers, WebSocket framing and barriers included), and the idle cost of a
 * WebSocket (heartbeats and clock re-syncs) in bytes per hour.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { BridgeClock } from "../src/clock.js";
import { startGateway } from "../src/gateway/server.js";
import type { QueuedPoint } from "../src/pipeline/batch-source.js";
import { ReportFilter, reportRulesSchema } from "../src/pipeline/report-rules.js";
import { encodeIngestBody, encodeTelemetryFrame } from "../src/uplink/frame-encoder.js";
import { ModbusTestServer } from "../test/adapters/modbus/modbus-test-server.js";
import { makeUplink, plexusOptions, realQueue, waitUntil } from "../test/uplink/helpers.js";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "test/fixtures");
// shared/ sits beside the checkout (CI, the main checkout) or two levels up (a git worktree).
const VTOL = [join(ROOT, "../shared"), join(ROOT, "../../shared")]
  .map((shared) => join(shared, "data/mavlink/tlog/vtol.tlog"))
  .find((file) => existsSync(file));
const MONTH_S = 30 * 86_400;
const clock = new BridgeClock();

/** Runs `tail` on a config (until its replays end, or for `forMs`) and returns the points it printed. */
async function tailPoints(name: string, yaml: string, forMs?: number): Promise<QueuedPoint[]> {
  const dir = mkdtempSync(join(tmpdir(), "plexus-wire-"));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli.ts"), "tail", "-c", file, "--format", "ndjson"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PLEXUS_API_KEY: "plx_bench000000000000000000000000000" },
  });
  const points: QueuedPoint[] = [];
  let rest = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line) continue;
      const p = JSON.parse(line);
      points.push({ class: p.class, metric: p.metric, value: p.value, timestamp: p.timestamp, ...(p.tags ? { tags: p.tags } : {}) });
    }
  });
  const timer = forMs === undefined ? undefined : setTimeout(() => child.kill("SIGTERM"), forMs);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`tail on ${name} exited ${code}`);
  return points;
}

const header = (extra = "") => `plexus: { source_id: bench-wire, url: "http://127.0.0.1:9" }\n${extra}adapters:\n`;
const mavlink = (file: string, extra = "") => `  sub:\n    type: mavlink\n    connection: tlog://${file}?speed=max\n${extra}`;
const can = (extra = "") =>
  `  car:\n    type: can\n    interface: candump\n    file: ${FIXTURES}/can/vw_mqb_replay.log\n    dbc: ${FIXTURES}/can/opendbc/vw_mqb.dbc\n    speed: max\n${extra}`;
const DEMO_RATES = "    rates: { ATTITUDE: 10Hz }\n";
const DEMO_CAN = '    signals:\n      "*.COUNTER": { max_rate: 1Hz }\n      "*.CHECKSUM": { max_rate: 1Hz }\n';

function encodedSizes(points: readonly QueuedPoint[], frameSize: number) {
  let ws = 0;
  let json = 0;
  const gz = { 1: 0, 6: 0, 9: 0 };
  for (let from = 0; from < points.length; from += frameSize) {
    const to = Math.min(points.length, from + frameSize);
    ws += encodeTelemetryFrame(points, clock, from, to).length;
    const body = encodeIngestBody("bench-wire", points, clock, from, to);
    json += body.length;
    for (const level of [1, 6, 9] as const) gz[level] += gzipSync(body, { level }).length;
  }
  const per = (bytes: number) => bytes / points.length;
  return { ws: per(ws), json: per(json), gzip1: per(gz[1]), gzip6: per(gz[6]), gzip9: per(gz[9]) };
}

/**
 * The SDM630's input registers with a simulated meter behind them: a polled map is real Modbus
 * traffic through the real adapter; only the values are made up (mains voltages and currents with
 * noise, a power factor, energy counters that climb).
 */
async function startMeterServer() {
  const server = new ModbusTestServer("tcp");
  const port = await server.listen();
  const image = server.unit(1);
  const scratch = Buffer.alloc(4);
  const set = (address: number, value: number) => {
    scratch.writeFloatBE(value);
    image.set("input", address, [scratch.readUInt16BE(0), scratch.readUInt16BE(2)]);
  };
  let energy = 12_345.6;
  const noise = (spread: number) => (Math.random() - 0.5) * spread;
  const tick = () => {
    for (const [i, address] of [0, 2, 4].entries()) set(address, 230 + i * 0.4 + noise(0.6));
    for (const [i, address] of [6, 8, 10].entries()) set(address, 8 + i + noise(0.3));
    for (const address of [12, 14, 16, 18, 20, 22]) set(address, 1900 + noise(60));
    for (const address of [24, 26, 28]) set(address, 150 + noise(20));
    for (const address of [30, 32, 34, 62]) set(address, 0.97 + noise(0.01));
    for (const address of [36, 38, 40, 66]) set(address, 14 + noise(1));
    set(42, 230.4 + noise(0.2));
    set(46, 9 + noise(0.2));
    set(48, 27 + noise(0.5));
    set(52, 5800 + noise(150));
    set(56, 5950 + noise(150));
    set(60, 450 + noise(40));
    set(70, 50 + noise(0.04));
    energy += 0.0016;
    set(72, energy);
    set(74, 0);
    set(76, energy * 0.08);
  };
  tick();
  const timer = setInterval(tick, 50);
  return {
    port,
    /** The adapter polls every 50 ms to gather many polls quickly; each poll is stamped 1 s apart as a real meter poll would be. */
    restampedPolls(points: QueuedPoint[]): QueuedPoint[] {
      const stamps = [...new Set(points.map((p) => p.timestamp))].sort((a, b) => a - b);
      const index = new Map(stamps.map((stamp, i) => [stamp, i]));
      const t0 = stamps[0] ?? 0;
      return points.map((p) => ({ ...p, timestamp: t0 + (index.get(p.timestamp) ?? 0) * 1000 }));
    },
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}

/**
 * The same points through the pipeline's `report` filter (the code the bridge runs), so a rule's
 * saving is measured on exactly the dataset of the row above it. Names lose their adapter prefix,
 * as rules match them.
 */
function reported(points: readonly QueuedPoint[], rules: unknown[]): QueuedPoint[] {
  const filter = new ReportFilter(reportRulesSchema.parse(rules));
  return points.filter((p) =>
    filter.admit({ metric: p.metric.slice(p.metric.indexOf(".") + 1), value: p.value, timestamp: p.timestamp, tags: p.tags }, 0),
  );
}

const gbMonth = (bytesPerPoint: number) => (bytesPerPoint * 1000 * MONTH_S) / 1e9;
const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(7);

function printEncodings(name: string, points: readonly QueuedPoint[]) {
  console.log(`\n${name}: ${points.length} points`);
  console.log("  frame    WS JSON     HTTP JSON   gzip -1   gzip -6   gzip -9   (bytes/point; GB/month at 1k points/s)");
  for (const frameSize of [500, 1000, 5000, 10_000]) {
    const s = encodedSizes(points, frameSize);
    const cell = (b: number) => `${fmt(b)} ${fmt(gbMonth(b), 0)}GB`;
    console.log(`  ${String(frameSize).padStart(6)}  ${cell(s.ws)}  ${cell(s.json)}  ${fmt(s.gzip1)}  ${fmt(s.gzip6)}  ${fmt(s.gzip9)}`);
  }
}

function printReduction(rows: { name: string; points: readonly QueuedPoint[] }[]) {
  const base = rows[0].points.length;
  console.log("  setting                                             points kept   WS B/captured pt   gzip-9 B/captured pt (10k batches)");
  for (const row of rows) {
    const s = encodedSizes(row.points, 10_000);
    const kept = row.points.length / base;
    console.log(`  ${row.name.padEnd(50)}  ${fmt(kept * 100)} %   ${fmt(s.ws * kept)}            ${fmt(s.gzip9 * kept, 2)}`);
  }
}

/** A TCP proxy in front of the gateway that counts the bytes both ways. */
async function countingProxy(targetPort: number) {
  const totals = { up: 0, down: 0 };
  const server = createServer((client) => {
    const upstream = netConnect(targetPort, "127.0.0.1");
    client.on("data", (chunk) => (totals.up += chunk.length));
    upstream.on("data", (chunk) => (totals.down += chunk.length));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no proxy port");
  return { port: address.port, totals, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function deliverMeasured(points: readonly QueuedPoint[], settings: Record<string, unknown>) {
  const gateway = await startGateway();
  const proxy = await countingProxy(Number(new URL(gateway.url).port));
  const q = realQueue("bench-wire", clock);
  // Re-emitted as inputs: the pipeline validates and stamps them as it would an adapter's.
  for (let i = 0; i < points.length; i += 5000)
    q.emit(points.slice(i, i + 5000).map((p) => ({ metric: p.metric, value: p.value, timestamp: p.timestamp, tags: p.tags })));
  const options = plexusOptions({ url: `http://127.0.0.1:${proxy.port}`, source_id: "bench-wire", ...settings });
  const uplink = makeUplink({ options, source: q.queue, clock });
  uplink.start();
  await waitUntil(() => q.counters().pending === 0, 120_000, "delivered");
  await uplink.stop(0);
  await proxy.close();
  await gateway.close();
  return { up: proxy.totals.up / points.length, down: proxy.totals.down / points.length };
}

async function idleWebSocketBytesPerHour() {
  const gateway = await startGateway();
  const proxy = await countingProxy(Number(new URL(gateway.url).port));
  const q = realQueue("bench-idle", clock);
  // A 1 s heartbeat for 10 s measures one heartbeat's round trip; the default is one every 30 s.
  const options = plexusOptions({ url: `http://127.0.0.1:${proxy.port}`, source_id: "bench-idle", heartbeat_interval: "1s" });
  const uplink = makeUplink({ options, source: q.queue, clock });
  uplink.start();
  await waitUntil(() => uplink.stats().status === "up", 10_000, "connected");
  const before = proxy.totals.up + proxy.totals.down;
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const perHeartbeat = (proxy.totals.up + proxy.totals.down - before) / 10;
  await uplink.stop(0);
  await proxy.close();
  await gateway.close();
  const defaults = plexusOptions({});
  const perHour = perHeartbeat * (3_600_000 / defaults.heartbeat_interval);
  return { perHeartbeat, perHour, intervalS: defaults.heartbeat_interval / 1000 };
}

const demoConfig = (mavExtra: string, canExtra: string, top = "") =>
  header(top) + mavlink(`${FIXTURES}/mavlink/ardusub_small.tlog`, mavExtra) + can(canExtra);

console.log("Part 1: bytes per point by transport and frame size");
const demo = await tailPoints("demo", demoConfig(DEMO_RATES, DEMO_CAN));
printEncodings("demo (ArduSub MAVLink + VW MQB CAN, the demo's settings)", demo);
if (VTOL) printEncodings("flight (vtol.tlog, every MAVLink message)", await tailPoints("flight", header() + mavlink(VTOL)));
else console.log("\nflight: skipped, shared/data/mavlink/tlog/vtol.tlog is not beside this checkout");
const meter = await startMeterServer();
const meterYaml = (extra = "") =>
  `${header()}  meter:\n    type: modbus\n    url: tcp://127.0.0.1:${meter.port}\n    interval: 50ms\n    devices: [{ unit_id: 1, name: sdm630, map: ${ROOT}/adapters/modbus/maps/sdm630.yaml }]\n${extra}`;
const METER_MS = 8000;
const meterPoints = meter.restampedPolls(await tailPoints("meter", meterYaml(), METER_MS));
printEncodings("meter (SDM630 poll, 1 s apart)", meterPoints);

console.log("\nPart 2: reductions (bytes per captured point, so a point not sent counts as saved)");
console.log("\nCAN (VW MQB capture):");
const canAll = await tailPoints("can-all", header() + can());
printReduction([
  { name: "every frame decoded", points: canAll },
  { name: "COUNTER/CHECKSUM max_rate 1Hz (the demo)", points: await tailPoints("can-demo", header() + can(DEMO_CAN)) },
  { name: "on_change for every signal", points: await tailPoints("can-onchange", header() + can("    on_change: true\n")) },
  { name: "on_change + heartbeat 60s", points: await tailPoints("can-hb", header() + can("    on_change: true\n    heartbeat: 60s\n")) },
  { name: "report: deadband 1 % (instead of on_change)", points: reported(canAll, [{ deadband: { percent: 1 } }]) },
]);
console.log("\nMAVLink (ArduSub dive):");
const sub = `${FIXTURES}/mavlink/ardusub_small.tlog`;
const mavAll = await tailPoints("mav-all", header() + mavlink(sub));
printReduction([
  { name: "every message", points: mavAll },
  { name: "rates ATTITUDE 10Hz (the demo)", points: await tailPoints("mav-demo", header() + mavlink(sub, DEMO_RATES)) },
  { name: "report: deadband 1 %, heartbeat 60s", points: reported(mavAll, [{ deadband: { percent: 1 }, heartbeat: "60s" }]) },
]);
console.log("\nModbus (SDM630 poll once a second; the adapter has no on_change of its own: the `report` rules give it one):");
printReduction([
  { name: "every poll", points: meterPoints },
  { name: "report: deadband 0.5 %, heartbeat 60s", points: reported(meterPoints, [{ deadband: { percent: 0.5 }, heartbeat: "60s" }]) },
  {
    name: "report: voltages ±1 V, others 1 %",
    points: reported(meterPoints, [{ match: "sdm630.voltage_*", deadband: { absolute: 1 } }, { deadband: { percent: 1 } }]),
  },
]);
await meter.close();

console.log("\nPart 3: measured on the TCP stream to the local gateway (demo points; request and response bytes per point)");
for (const [name, settings] of [
  ["WebSocket (default: 10,000-point frames, ping barrier each)", {}],
  ["HTTP (10,000-point requests, gzip -6)", { transport: "http" }],
  ["link: metered (HTTP, 10,000-point requests, gzip -9)", { link: "metered", linger: 0 }],
] as const) {
  const r = await deliverMeasured(demo, settings);
  console.log(
    `  ${name.padEnd(60)} up ${fmt(r.up, 2)}  down ${fmt(r.down, 2)}  GB/month at 1k points/s: ${fmt(gbMonth(r.up + r.down), 1)}`,
  );
}
const idle = await idleWebSocketBytesPerHour();
console.log(
  `  idle WebSocket: ${idle.perHeartbeat.toFixed(0)} bytes per heartbeat round trip (TCP payload), one every ${idle.intervalS} s: ${(idle.perHour / 1024).toFixed(1)} KiB/hour, ${((idle.perHour * 24 * 30) / 1e6).toFixed(1)} MB/month before TCP/IP and TLS overhead`,
);
process.exit(0);
