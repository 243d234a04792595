/**
 * System peers: programs from Debian packages that some tests run against (socat, pymodbus,
 * mosquitto, chromium…). A developer's machine may lack them, so there those tests are skipped,
 * with the reason and the apt package in the test's name; CI installs them (.ci/run), so under
 * CI=true a missing peer fails the run instead of skipping it quietly.
 *
 *   const socat = requirePeer({ name: "socat", apt: "socat", probe: () => commandWorks("socat", ["-V"]) });
 *   describe.skipIf(!socat.available)(`serial tests (${socat.reason})`, …)
 *
 * npm modules that compile at install (better-sqlite3) are peers of the same kind: not in
 * package.json, so that no user's install compiles them; a checkout adds them with
 * `npm install --no-save`, which CI does (requireModulePeer).
 *
 * The closing line of the run (plain-summary-reporter.ts) lists what was skipped and the packages
 * to install, read back from those names with parsePeerSkips().
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

export interface PeerSpec {
  /** What the tests need, as a person would call it: "socat", "pymodbus", "mosquitto". */
  name: string;
  /** The Debian package(s) that provide it, space-separated. */
  apt: string;
  /** true when the peer works here, else why not (one line). */
  probe: () => true | string;
}

export interface Peer {
  available: boolean;
  /** For the name of what is skipped without it: `needs socat: apt-get install socat`. */
  reason: string;
  /** Why the probe failed; "" when available. */
  detail: string;
}

/** Probes the peer once; outside CI returns whether it is there, under CI=true throws if it is not. */
export function requirePeer(spec: PeerSpec): Peer {
  return settle(spec.name, `apt-get install ${spec.apt}`, `apt-get install -y ${spec.apt}`, spec.probe);
}

export interface ModulePeerSpec {
  /** The module as the tests import it: "better-sqlite3". */
  name: string;
  /** What to install, space-separated: "better-sqlite3@12". */
  npm: string;
  /** Loads the module; the default requires `name` from the checkout (a module that did not build fails here). */
  probe?: () => true | string;
}

/** requirePeer() for an npm module the checkout installs with `npm install --no-save`. */
export function requireModulePeer(spec: ModulePeerSpec): Peer {
  const install = `npm install --no-save ${spec.npm}`;
  return settle(spec.name, install, install, spec.probe ?? (() => loads(spec.name)));
}

function settle(name: string, install: string, ciInstall: string, probe: () => true | string): Peer {
  let outcome: true | string;
  try {
    outcome = probe();
  } catch (error) {
    outcome = (error as Error).message;
  }
  const reason = `needs ${name}: ${install}`;
  if (outcome === true) return { available: true, reason, detail: "" };
  if (process.env.CI === "true") throw new Error(`${name} is required in CI (${ciInstall}): ${outcome}`);
  return { available: false, reason, detail: outcome };
}

function loads(module: string): true | string {
  try {
    createRequire(import.meta.url)(module);
    return true;
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    return (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" ? `${module} is not installed` : message;
  }
}

/** true when `command args…` runs and exits 0 (looked up on PATH), else what went wrong. */
export function commandWorks(command: string, args: readonly string[]): true | string {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (run.error) return (run.error as NodeJS.ErrnoException).code === "ENOENT" ? `${command} is not installed` : run.error.message;
  if (run.status === 0) return true;
  return `${command} ${args.join(" ")} exited ${run.status}: ${(run.stderr || run.stdout).trim().split("\n").at(-1) ?? ""}`;
}

/**
 * The `needs NAME: apt-get install PKG…` and `needs NAME: npm install --no-save PKG@RANGE…` marks
 * in test names, as requirePeer and requireModulePeer write them (and NEEDS_SOCAT did before).
 */
const NEEDS =
  /needs ([\w.+@/-]+): (?:apt-get install(?: -y)? ([\w.+-]+(?: [\w.+-]+)*)|npm install --no-save ([\w.+@/^~-]+(?: [\w.+@/^~-]+)*))/g;

export interface PeerSkip {
  name: string;
  /** Debian packages, or [] for an npm module. */
  apt: string[];
  /** npm packages with their ranges, or [] for a system peer. */
  npm: string[];
}

export function parsePeerSkips(testName: string): PeerSkip[] {
  return [...testName.matchAll(NEEDS)].map((match) => ({
    name: match[1],
    apt: match[2]?.split(" ") ?? [],
    npm: match[3]?.split(" ") ?? [],
  }));
}
