/**
 * `npm run bench [-- NAME…]`: runs the benchmarks under bench/ one after another (each in its own
 * process, so one's heap does not weigh on the next) and lets each print its own figures.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const folder = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(folder)
  .filter((file) => file.endsWith(".ts") && file !== "run.ts")
  .map((file) => file.replace(/\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`no benchmark ${unknown.join(", ")} (have: ${all.join(", ")})`);
  process.exit(64);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n== bench/${name}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", join(folder, `${name}.ts`)], { stdio: "inherit" });
  if (run.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
