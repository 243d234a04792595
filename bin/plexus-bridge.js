#!/usr/bin/env node
// Runs the compiled CLI when `npm run build` has produced it, otherwise the TypeScript source
// through tsx, so a fresh checkout works without a build step.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "src", "cli.js");
let entry = compiled;
if (!existsSync(compiled)) {
  // A checkout without `npm run build`: run the sources (tsx is a dev dependency).
  const { register } = await import("tsx/esm/api").catch(() => {
    console.error("plexus-bridge: dist/ is missing and tsx is not installed; run `npm ci && npm run build` first");
    process.exit(70);
  });
  register();
  entry = join(root, "src", "cli.ts");
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Whatever handle a library leaves open must not keep a stopped bridge alive under systemd.
setTimeout(() => process.exit(code), 2000).unref();
