/**
 * The NODE_OPTIONS the shipped files set or offer: the units' `Environment=NODE_OPTIONS=` line,
 * and the commented `#NODE_OPTIONS=` lines of the environment file's example. The tests and
 * bench/footprint read them from there, so what they check is what ships.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./child.js";

const shipped = (file: string) => readFileSync(join(repoRoot, file), "utf8");

/** The unit text's NODE_OPTIONS, if it sets them. */
export function unitNodeOptions(unit: string): string | undefined {
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1].trim();
}

export function serviceNodeOptions(): string {
  const options = unitNodeOptions(shipped("systemd/plexus-bridge.service"));
  if (options === undefined) throw new Error("systemd/plexus-bridge.service sets no NODE_OPTIONS");
  return options;
}

/** Every NODE_OPTIONS line systemd/plexus-bridge.env.example offers (commented out). */
export function offeredNodeOptions(): string[] {
  return [...shipped("systemd/plexus-bridge.env.example").matchAll(/^#NODE_OPTIONS=(.*)$/gm)].map((match) => match[1].trim());
}

/** The example's small-gateway line: the one that interprets instead of compiling. */
export function smallGatewayNodeOptions(): string {
  const options = offeredNodeOptions().find((line) => line.includes("--jitless"));
  if (options === undefined) throw new Error("systemd/plexus-bridge.env.example offers no --jitless NODE_OPTIONS");
  return options;
}
