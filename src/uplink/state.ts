/**
 * What the uplink keeps across restarts: the install id (generated once) and the source ids the
 * gateway assigned in `authenticated`. Small JSON files in the state directory, written
 * atomically (temp file + rename) so a power cut never leaves half a file.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * `/var/lib/plexus-bridge` under systemd (which sets STATE_DIRECTORY for `StateDirectory=`, or
 * INVOCATION_ID for any unit), `$XDG_STATE_HOME/plexus-bridge` or `~/.local/state/plexus-bridge` otherwise.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STATE_DIRECTORY) return env.STATE_DIRECTORY.split(":")[0];
  if (env.INVOCATION_ID) return "/var/lib/plexus-bridge";
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "plexus-bridge");
}

function writeAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o644 });
  renameSync(temp, path);
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class UplinkState {
  constructor(readonly dir: string) {}

  /** The stable install id (32 hex digits), created on first use. */
  installId(): string {
    const path = join(this.dir, "install-id");
    try {
      const existing = readFileSync(path, "utf8").trim();
      if (/^[0-9a-f]{32}$/.test(existing)) return existing;
    } catch {
      // first run: fall through and create it
    }
    const id = randomUUID().replaceAll("-", "");
    mkdirSync(this.dir, { recursive: true });
    writeAtomic(path, id + "\n");
    return id;
  }

  /** The source id the gateway assigned for a configured one, if it ever differed. */
  adoptedSourceId(configured: string): string | undefined {
    const value = readJson(join(this.dir, "sources.json"))?.[configured];
    return typeof value === "string" ? value : undefined;
  }

  saveAdoptedSourceId(configured: string, adopted: string): void {
    const path = join(this.dir, "sources.json");
    const all = readJson(path) ?? {};
    if (all[configured] === adopted) return;
    all[configured] = adopted;
    mkdirSync(this.dir, { recursive: true });
    writeAtomic(path, JSON.stringify(all, null, 2) + "\n");
  }
}
