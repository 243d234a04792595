/**
 * `check` on a config with N unknown keys in one adapter: the time to load and validate it should
 * grow linearly with N (it was quadratic: 30 k keys took 13 s). Prints ms and µs per problem.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config/load.js";
import { formatProblems } from "../src/config/problems.js";

const dir = mkdtempSync(join(tmpdir(), "bench-check-"));
try {
  for (const n of [7_500, 15_000, 30_000, 60_000]) {
    const lines = [
      "plexus:",
      "  source_id: demo",
      "  api_key: plx_bench",
      "adapters:",
      "  car:",
      "    type: can",
      "    interface: candump",
      "    file: x.log",
    ];
    for (let i = 0; i < n; i++) lines.push(`    junk_${i}: 1`);
    const file = join(dir, `keys-${n}.yaml`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { problems } = await loadConfig(file, { checkFiles: true, env: {} });
    formatProblems(problems.slice(0, 100));
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    // CPU time as well as wall time: on a shared machine the wall time mostly measures the neighbours.
    console.log(
      `check, ${n.toLocaleString("en-US")} unknown keys: ${problems.length} problems in ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${((cpuMs * 1000) / n).toFixed(1)} µs CPU per key)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
