/** The package's version, read from its package.json: the `version` command and the uplink's agent_version. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

export function packageVersion(): string {
  const file = join(packageRoot(), "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
