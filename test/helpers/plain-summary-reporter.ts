/**
 * Adds one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
 * summary: CI reads that line to tell a run that tested something from one that did not. When
 * tests were skipped for a missing system peer (system-peer.ts), one more line names them and
 * the apt packages (and npm modules) that would run them.
 */
import type { Reporter, TestModule } from "vitest/node";
import { parsePeerSkips } from "./system-peer.js";

export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const peers = new Map<string, { tests: number; apt: string[]; npm: string[] }>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else {
          skipped++;
          for (const { name, apt, npm } of parsePeerSkips(test.fullName)) {
            const entry = peers.get(name) ?? { tests: 0, apt, npm };
            entry.tests++;
            peers.set(name, entry);
          }
        }
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    const line = peerSkipLine(peers);
    if (line) process.stdout.write(`${line}\n`);
  }
}

/**
 * `skipped for want of system peers: socat (12 tests), better-sqlite3 (3 tests); to run them:
 * apt-get install -y socat && npm install --no-save better-sqlite3@12` (npm from the checkout).
 */
export function peerSkipLine(
  peers: ReadonlyMap<string, { tests: number; apt: readonly string[]; npm?: readonly string[] }>,
): string | undefined {
  if (peers.size === 0) return undefined;
  const names = [...peers].map(([name, { tests }]) => `${name} (${tests} test${tests === 1 ? "" : "s"})`);
  const apt = [...new Set([...peers.values()].flatMap((peer) => peer.apt))];
  const npm = [...new Set([...peers.values()].flatMap((peer) => peer.npm ?? []))];
  const commands = [];
  if (apt.length > 0) commands.push(`apt-get install -y ${apt.join(" ")}`);
  if (npm.length > 0) commands.push(`npm install --no-save ${npm.join(" ")}`);
  return `skipped for want of system peers: ${names.join(", ")}; to run them: ${commands.join(" && ")}`;
}
