/**
 * Subscribes to N monitored items (default 10,000) at 100 ms sampling on the OPC-UA test server
 * (a node-opcua server in a child process, every item changing every 100 ms) and prints the data
 * changes per second the adapter hands to emit(), the bridge's CPU per value (this process only:
 * the server's CPU is its own), the event-loop delay p99 while the values flow, and the RSS with
 * the OPC-UA adapter loaded (the process runs under tsx, whose loader is in "RSS before"). The server and the
 * bridge share the machine's cores, so the server's own speed caps the figure.
 *   npx tsx bench/opcua.ts [--items N] [--seconds S]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import definition, { type OpcuaAdapter } from "../adapters/opcua/index.js";
import { plant, TestServer } from "../test/adapters/opcua/served.js";
import { AdapterHarness } from "../test/helpers/adapter-harness.js";

const { values: args } = parseArgs({
  options: { items: { type: "string", default: "10000" }, seconds: { type: "string", default: "10" } },
});
const ITEMS = Number(args.items);
const SECONDS = Number(args.seconds);

const rssBefore = process.memoryUsage().rss;
const server = new TestServer();
await server.start({ items: ITEMS });

const pkiRoot = mkdtempSync(join(tmpdir(), "opcua-bench-"));
const harness = new AdapterHarness({ id: "bench" });
let emitted = 0;
// Counting only: holding 100k points a second in the harness would measure the harness.
const context = {
  ...harness.context,
  emit: (points: unknown[]) => {
    emitted += points.length;
    return true;
  },
};
const options = definition.options.parse({
  endpoint: server.endpoint,
  pki_dir: join(pkiRoot, "pki"),
  sampling_interval: "100ms",
  publishing_interval: "100ms",
  queue_size: 2,
  request_timeout: "60s",
  nodes: Array.from({ length: ITEMS }, (_, i) => ({ node_id: plant(`Bench.${i}`), name: `b.${i}` })),
});
const adapter = definition.create(options, context) as OpcuaAdapter;
const subscribeStart = performance.now();
await adapter.start();
for (;;) {
  const up = harness.states.find((s) => s.state === "up");
  if (up) break;
  const down = harness.states.find((s) => s.state === "down");
  if (down) throw new Error(`down: ${down.detail}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const subscribeSeconds = (performance.now() - subscribeStart) / 1000;
// Warm-up: the first publishes carry every item's initial value.
await new Promise((resolve) => setTimeout(resolve, 3000));
const countStart = emitted;
const cpuStart = process.cpuUsage();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const started = performance.now();
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
loopDelay.disable();
const values = emitted - countStart;
const rss = process.memoryUsage().rss;
await adapter.stop();
await server.close();
rmSync(pkiRoot, { recursive: true, force: true });

console.table([
  {
    items: ITEMS,
    "subscribe (s)": Number(subscribeSeconds.toFixed(1)),
    "values/s": Math.round(values / seconds),
    "bridge CPU µs/value": values > 0 ? Number((((cpu.user + cpu.system) / values) * 1).toFixed(2)) : "n/a",
    "bridge CPU %": Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
    "event loop p99 ms": Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
    "RSS MB": Math.round(rss / 2 ** 20),
    "RSS before MB": Math.round(rssBefore / 2 ** 20),
  },
]);
console.log("server: node-opcua in a child process on the same machine; figures under whatever else runs here");
process.exit(0);
