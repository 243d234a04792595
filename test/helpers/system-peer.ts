/**
 * System peers: programs from Debian packages that some tests run against (socat, pymodbus,
 * mosquitto, chromium…). A developer's machine may lack them, so there those tests are skipped,
 * with the reason and the apt package in the test's name; CI installs them (.ci/run), so under
 * CI=true a missing peer fails the run instead of skipping it quietly.
 *
 *   const socat = requirePeer({ name: "socat", apt: "socat", probe: () => commandWorks("socat", ["-V"]) });
 *   describe.skipIf(!socat.available)(`serial tests (${socat.reason})`, …)
 *
 * The closing line of the run (plain-summary-reporter.ts) lists what was skipped and the packages
 * to install, read back from those names with parsePeerSkips().
 */
import { spawnSync } from "node:child_process";

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
  let outcome: true | string;
  try {
    outcome = spec.probe();
  } catch (error) {
    outcome = (error as Error).message;
  }
  const reason = needsText(spec.name, spec.apt);
  if (outcome === true) return { available: true, reason, detail: "" };
  if (process.env.CI === "true") throw new Error(`${spec.name} is required in CI (apt-get install -y ${spec.apt}): ${outcome}`);
  return { available: false, reason, detail: outcome };
}

/** true when `command args…` runs and exits 0 (looked up on PATH), else what went wrong. */
export function commandWorks(command: string, args: readonly string[]): true | string {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (run.error) return (run.error as NodeJS.ErrnoException).code === "ENOENT" ? `${command} is not installed` : run.error.message;
  if (run.status === 0) return true;
  return `${command} ${args.join(" ")} exited ${run.status}: ${(run.stderr || run.stdout).trim().split("\n").at(-1) ?? ""}`;
}

function needsText(name: string, apt: string): string {
  return `needs ${name}: apt-get install ${apt}`;
}

/** The `needs NAME: apt-get install PKG…` marks in test names, as requirePeer writes them (and NEEDS_SOCAT did before). */
const NEEDS = /needs ([\w.+-]+): apt-get install(?: -y)? ([\w.+-]+(?: [\w.+-]+)*)/g;

export interface PeerSkip {
  name: string;
  apt: string[];
}

export function parsePeerSkips(testName: string): PeerSkip[] {
  return [...testName.matchAll(NEEDS)].map((match) => ({ name: match[1], apt: match[2].split(" ") }));
}
