/**
 * The bridge's footprint on a small gateway, on the built CLI (bin/plexus-bridge.js with dist/),
 * run as the systemd unit runs it: with the unit's NODE_OPTIONS (systemd/plexus-bridge.service).
 * Run: npx tsx bench/footprint.ts [seconds per RSS row, default 60] [--rows 1,1s,2,3,4,5]
 *        [--node-options="..."]   instead of the unit's NODE_OPTIONS (--node-options= for node's defaults)
 *      (builds dist/ if missing)
 *
 * Rows (issue 15's table):
 *   1.  RSS after N s, Modbus-only (one device, 20 points, 1 s poll, against an in-process Modbus server)
 *   1s. the same with the small-gateway NODE_OPTIONS that systemd/plexus-bridge.env.example offers
 *   1q. (only when asked for) the same with `status: false` and `telemetry: false`: what the status
 *       server and the bridge's own telemetry cost
 *   2.  RSS after N s, the demo config (MAVLink + CAN replays at capture speed)
 *   3.  RSS after N s with every adapter type configured: each adapters/<type>/example.yaml's
 *       adapters in one config (adapters whose peer is absent here stay down, but their code loads)
 *   4.  start to first point delivered, Modbus-only, to the local gateway
 *   5.  production install: `npm pack`, then `npm install --omit=dev` of the tarball into an empty
 *       project, as a user installs it (optional dependencies included: koffi's prebuilt binary is
 *       one): node_modules size, and whether anything was compiled
 * Every bridge delivers to the local gateway in this process.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { adapterTypes } from "../src/adapters.js";
import { startGateway } from "../src/gateway/server.js";
import { ModbusTestServer } from "../test/adapters/modbus/modbus-test-server.js";
import { serviceNodeOptions, smallGatewayNodeOptions } from "../test/helpers/shipped-node-options.js";

const ROOT = join(import.meta.dirname, "..");
const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { rows: { type: "string", default: "1,1s,2,3,4,5" }, "node-options": { type: "string" } },
});
const SECONDS = Number(positionals[0] ?? 60);
const ROWS = new Set(flags.rows.split(","));

const SERVICE_NODE_OPTIONS = flags["node-options"] ?? serviceNodeOptions();
const SMALL_GATEWAY_NODE_OPTIONS = smallGatewayNodeOptions();
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

function startBridge(file: string, nodeOptions = SERVICE_NODE_OPTIONS): ChildProcess {
  return spawn(process.execPath, [join(ROOT, "bin/plexus-bridge.js"), "run", "-c", file], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_OPTIONS: nodeOptions, PLEXUS_API_KEY: KEY, PLEXUS_DEMO_URL: gateway.url },
  });
}

/** User + system CPU the process used so far (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A field of /proc/<pid>/status in MiB: VmRSS is the row's figure; RssAnon and RssFile split it. */
function statusMiB(pid: number, field = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function stopBridge(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** RSS after SECONDS, and the highest RSS seen once a second along the way. */
async function rssRow(label: string, file: string, nodeOptions = SERVICE_NODE_OPTIONS): Promise<void> {
  const child = startBridge(file, nodeOptions);
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  let peak = 0;
  for (let s = 0; s < SECONDS; s++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (child.exitCode !== null) throw new Error(`${label}: the bridge exited ${child.exitCode}:\n${stderr.slice(-2000)}`);
    peak = Math.max(peak, statusMiB(child.pid as number));
  }
  const pid = child.pid as number;
  const [rss, anon, mapped] = [statusMiB(pid), statusMiB(pid, "RssAnon"), statusMiB(pid, "RssFile")];
  const cpu = cpuSeconds(pid);
  await stopBridge(child);
  console.log(
    `${label.padEnd(62)} ${rss.toFixed(1).padStart(6)} MiB   (peak ${peak.toFixed(1)} MiB; anonymous ${anon.toFixed(1)}, file-backed ${mapped.toFixed(1)}; CPU ${cpu.toFixed(2)} s)`,
  );
}

const modbusConfig = (source: string, extra: Record<string, unknown> = {}) =>
  writeConfig("modbus", {
    ...extra,
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

/** Bytes in the files under `path`, and the disk they take (whole blocks, as `du` counts them). */
function directorySize(path: string, total = { bytes: 0, disk: 0 }): { bytes: number; disk: number } {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) directorySize(full, total);
    else if (entry.isFile()) {
      const stat = statSync(full);
      total.bytes += stat.size;
      total.disk += stat.blocks * 512;
    }
  }
  return total;
}

/** Folders where a native module was compiled at install: node-gyp leaves a Makefile, cmake-based builds (koffi's) a CMakeCache.txt or build.ninja. */
const BUILD_MARKERS = ["Makefile", "CMakeCache.txt", "build.ninja"];
function findCompiled(path: string, found: string[] = []): string[] {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isFile() && BUILD_MARKERS.includes(entry.name)) found.push(path);
    else if (entry.isDirectory()) findCompiled(join(path, entry.name), found);
  }
  return found;
}

console.log(
  `Node ${process.version}; bare node RSS for reference: ${execFileSync(process.execPath, ["-e", "console.log((process.memoryUsage().rss/1048576).toFixed(1))"]).toString().trim()} MiB`,
);
console.log(
  `RSS rows after ${SECONDS} s each, sampled from /proc/<pid>/status; the bridge runs with NODE_OPTIONS=${JSON.stringify(SERVICE_NODE_OPTIONS)}${flags["node-options"] === undefined ? " (the unit's)" : ""} unless a row says otherwise`,
);

if (ROWS.has("1")) await rssRow("1. Modbus-only (one device, 20 points, 1 s poll)", modbusConfig("footprint-modbus"));
if (ROWS.has("1s"))
  await rssRow(
    `1s. the same, small-gateway NODE_OPTIONS=${JSON.stringify(SMALL_GATEWAY_NODE_OPTIONS)}`,
    modbusConfig("footprint-modbus-small"),
    SMALL_GATEWAY_NODE_OPTIONS,
  );
if (ROWS.has("1q"))
  await rssRow(
    "1q. the same, status: false, telemetry: false",
    modbusConfig("footprint-modbus-quiet", { status: false, telemetry: false }),
  );
if (ROWS.has("2")) await rssRow("2. demo config (MAVLink + CAN replays at capture speed)", join(ROOT, "config/demo.yaml"));
if (ROWS.has("3")) {
  const every = everyAdapterConfig();
  await rssRow(`3. every adapter type (${every.types.join(", ")})`, every.file);
}
if (ROWS.has("4")) await firstPointRow();
if (ROWS.has("5")) installRow();

await modbus.close();
await gateway.close();
process.exit(0);

async function firstPointRow(): Promise<void> {
  watchedSource = "footprint-first-point";
  const started = performance.now();
  const child = startBridge(modbusConfig("footprint-first-point"));
  while (firstPointAt === undefined && performance.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 5));
  await stopBridge(child);
  console.log(
    `${"4. start to first point delivered (Modbus-only, local gateway)".padEnd(62)} ${firstPointAt === undefined ? "none within 30 s" : `${((firstPointAt - started) / 1000).toFixed(2)} s`}`,
  );
}

function installRow(): void {
  const packDir = mkdtempSync(join(tmpdir(), "plexus-footprint-pack-"));
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: ROOT })
    .toString()
    .trim()
    .split("\n")
    .pop() as string;
  const project = mkdtempSync(join(tmpdir(), "plexus-footprint-install-"));
  writeFileSync(join(project, "package.json"), '{"name":"footprint-probe","private":true}');
  const installStart = performance.now();
  execFileSync("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--silent", join(packDir, tarball)], {
    cwd: project,
    stdio: "inherit",
  });
  const installSeconds = (performance.now() - installStart) / 1000;
  const modules = join(project, "node_modules");
  const compiled = findCompiled(modules).map((dir) => dir.slice(modules.length + 1));
  const size = directorySize(modules);
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  console.log(
    `${"5. production install (npm install --omit=dev)".padEnd(62)} ${mib(size.bytes).padStart(6)} MiB of files, ${mib(size.disk)} MiB on disk   tarball ${mib(statSync(join(packDir, tarball)).size)} MiB, ${installSeconds.toFixed(0)} s, compiled: ${compiled.length === 0 ? "nothing" : compiled.join(", ")}`,
  );
}
