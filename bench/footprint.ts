/**
 * The bridge's footprint on a small gateway, on the built CLI (bin/plexus-bridge.js with dist/).
 * Run: npx tsx bench/footprint.ts [seconds per RSS row, default 60]   (builds dist/ if missing)
 *
 * Rows (issue 15's table):
 *   1. RSS after N s, Modbus-only (one device, 20 points, 1 s poll, against an in-process Modbus server)
 *   2. RSS after N s, the demo config (MAVLink + CAN replays at capture speed)
 *   3. RSS after N s with every adapter type configured: each adapters/<type>/example.yaml's
 *      adapters in one config (adapters whose peer is absent here stay down, but their code loads)
 *   4. start to first point delivered, Modbus-only, to the local gateway
 *   5. production install: `npm pack`, then `npm install --omit=dev --omit=optional` of the
 *      tarball into an empty project: node_modules size, and whether anything was compiled
 * Every bridge delivers to the local gateway in this process.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { adapterTypes } from "../src/adapters.js";
import { startGateway } from "../src/gateway/server.js";
import { ModbusTestServer } from "../test/adapters/modbus/modbus-test-server.js";

const SECONDS = Number(process.argv[2] ?? 60);
const ROOT = join(import.meta.dirname, "..");
const KEY = "plx_bench000000000000000000000000000";

if (!existsSync(join(ROOT, "dist/src/cli.js"))) {
  console.log("building dist/ (npm run build) …");
  execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
}

/** The source whose first delivered point row 4 times; the gateway calls onFrame for each accepted frame. */
let watchedSource: string | undefined;
let firstPointAt: number | undefined;
const gateway = await startGateway({
  onFrame: (sourceId) => {
    if (sourceId === watchedSource && firstPointAt === undefined) firstPointAt = performance.now();
  },
});

const modbus = new ModbusTestServer("tcp");
await modbus.listen();
const image = modbus.unit(1);
for (let address = 0; address < 20; address++) image.set("holding", address, [1000 + address]);

function writeConfig(name: string, config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), `plexus-footprint-${name}-`));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify({ ...config, state_dir: join(dir, "state") }));
  return file;
}

const plexus = (source: string) => ({ api_key: KEY, source_id: source, url: gateway.url });

function startBridge(file: string): ChildProcess {
  return spawn(process.execPath, [join(ROOT, "bin/plexus-bridge.js"), "run", "-c", file], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PLEXUS_API_KEY: KEY, PLEXUS_DEMO_URL: gateway.url },
  });
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function stopBridge(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** RSS after SECONDS, and the highest RSS seen once a second along the way. */
async function rssRow(label: string, file: string): Promise<void> {
  const child = startBridge(file);
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  let peak = 0;
  for (let s = 0; s < SECONDS; s++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (child.exitCode !== null) throw new Error(`${label}: the bridge exited ${child.exitCode}:\n${stderr.slice(-2000)}`);
    peak = Math.max(peak, rssMiB(child.pid as number));
  }
  const rss = rssMiB(child.pid as number);
  await stopBridge(child);
  console.log(`${label.padEnd(62)} ${rss.toFixed(1).padStart(6)} MiB   (peak ${peak.toFixed(1)} MiB)`);
}

const modbusConfig = (source: string) =>
  writeConfig("modbus", {
    plexus: plexus(source),
    adapters: {
      plc: {
        type: "modbus",
        url: `tcp://127.0.0.1:${modbus.port}`,
        interval: "1s",
        devices: [{ unit_id: 1, points: Array.from({ length: 20 }, (_, i) => ({ name: `r${i}`, address: i })) }],
      },
    },
  });

/** Every shipped example's adapters in one config, ids prefixed by the example's type. */
function everyAdapterConfig(): { file: string; types: string[] } {
  const adapters: Record<string, unknown> = {};
  const types: string[] = [];
  for (const type of adapterTypes()) {
    const example = join(ROOT, "adapters", type, "example.yaml");
    if (!existsSync(example)) continue;
    types.push(type);
    const parsed = parse(readFileSync(example, "utf8")) as { adapters: Record<string, Record<string, unknown>> };
    for (const [id, options] of Object.entries(parsed.adapters)) {
      // Relative paths in an example are relative to its folder.
      const fixed = Object.fromEntries(
        Object.entries(options).map(([key, value]) => [
          key,
          typeof value === "string" && /^\.\.?\//.test(value) ? join(ROOT, "adapters", type, value) : value,
        ]),
      );
      if (typeof fixed.connection === "string")
        fixed.connection = fixed.connection.replace("tlog://../", `tlog://${join(ROOT, "adapters", type)}/../`);
      adapters[`${type}_${id}`] = fixed;
    }
  }
  return { file: writeConfig("all", { plexus: plexus("footprint-all"), adapters }), types };
}

function directorySize(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += directorySize(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

function findCompiled(path: string, found: string[] = []): string[] {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = join(path, entry.name);
    if (entry.name === "build" && existsSync(join(full, "Makefile"))) found.push(full);
    else findCompiled(full, found);
  }
  return found;
}

console.log(
  `Node ${process.version}; bare node RSS for reference: ${execFileSync(process.execPath, ["-e", "console.log((process.memoryUsage().rss/1048576).toFixed(1))"]).toString().trim()} MiB`,
);
console.log(`RSS rows after ${SECONDS} s each, sampled from /proc/<pid>/status`);

await rssRow("1. Modbus-only (one device, 20 points, 1 s poll)", modbusConfig("footprint-modbus"));
await rssRow("2. demo config (MAVLink + CAN replays at capture speed)", join(ROOT, "config/demo.yaml"));
const every = everyAdapterConfig();
await rssRow(`3. every adapter type (${every.types.join(", ")})`, every.file);

watchedSource = "footprint-first-point";
const started = performance.now();
const child = startBridge(modbusConfig("footprint-first-point"));
while (firstPointAt === undefined && performance.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 5));
await stopBridge(child);
console.log(
  `${"4. start to first point delivered (Modbus-only, local gateway)".padEnd(62)} ${firstPointAt === undefined ? "none within 30 s" : `${((firstPointAt - started) / 1000).toFixed(2)} s`}`,
);

const packDir = mkdtempSync(join(tmpdir(), "plexus-footprint-pack-"));
const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: ROOT })
  .toString()
  .trim()
  .split("\n")
  .pop() as string;
const project = mkdtempSync(join(tmpdir(), "plexus-footprint-install-"));
writeFileSync(join(project, "package.json"), '{"name":"footprint-probe","private":true}');
const installStart = performance.now();
execFileSync("npm", ["install", "--omit=dev", "--omit=optional", "--no-audit", "--no-fund", "--silent", join(packDir, tarball)], {
  cwd: project,
  stdio: "inherit",
});
const installSeconds = (performance.now() - installStart) / 1000;
const modules = join(project, "node_modules");
const compiled = findCompiled(modules).map((dir) => dir.slice(modules.length + 1));
console.log(
  `${"5. production install (npm install --omit=dev --omit=optional)".padEnd(62)} ${(directorySize(modules) / 1048576).toFixed(1).padStart(6)} MiB   tarball ${(statSync(join(packDir, tarball)).size / 1048576).toFixed(1)} MiB, ${installSeconds.toFixed(0)} s, compiled: ${compiled.length === 0 ? "nothing" : compiled.join(", ")}`,
);

await modbus.close();
await gateway.close();
process.exit(0);
