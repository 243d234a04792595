/**
 * The system-peer rule: outside CI a missing peer skips its tests with the reason in their name,
 * under CI=true it fails; the run's closing line names what was skipped and the apt packages.
 * The last test runs vitest itself on a machine state without socat (a PATH that lacks it).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { repoRoot } from "./child.js";
import { peerSkipLine } from "./plain-summary-reporter.js";
import { commandWorks, parsePeerSkips, requireModulePeer, requirePeer } from "./system-peer.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("requirePeer", () => {
  const missing = { name: "frobd", apt: "frobd python3-frob", probe: () => "frobd is not installed" };

  it("outside CI: not available, with the reason for the skipped block's name", () => {
    vi.stubEnv("CI", "");
    expect(requirePeer(missing)).toEqual({
      available: false,
      reason: "needs frobd: apt-get install frobd python3-frob",
      detail: "frobd is not installed",
    });
  });

  it("under CI=true: throws, naming the package", () => {
    vi.stubEnv("CI", "true");
    expect(() => requirePeer(missing)).toThrow("frobd is required in CI (apt-get install -y frobd python3-frob): frobd is not installed");
  });

  it("a probe that throws counts as missing; one that passes as available", () => {
    vi.stubEnv("CI", "");
    const throwing = requirePeer({ ...missing, probe: () => JSON.parse("{") });
    expect(throwing.available).toBe(false);
    expect(throwing.detail).toMatch(/JSON/);
    expect(requirePeer({ ...missing, probe: () => true }).available).toBe(true);
  });

  it("an npm module peer: loaded from the checkout, installed with npm install --no-save", () => {
    vi.stubEnv("CI", "");
    expect(requireModulePeer({ name: "plexus-no-such-module", npm: "plexus-no-such-module@3" })).toEqual({
      available: false,
      reason: "needs plexus-no-such-module: npm install --no-save plexus-no-such-module@3",
      detail: "plexus-no-such-module is not installed",
    });
    expect(requireModulePeer({ name: "yaml", npm: "yaml@2" }).available).toBe(true);
    vi.stubEnv("CI", "true");
    expect(() => requireModulePeer({ name: "plexus-no-such-module", npm: "plexus-no-such-module@3" })).toThrow(
      "plexus-no-such-module is required in CI (npm install --no-save plexus-no-such-module@3): plexus-no-such-module is not installed",
    );
  });

  it("commandWorks tells a missing program from a failing one", () => {
    expect(commandWorks("plexus-no-such-program", [])).toBe("plexus-no-such-program is not installed");
    expect(commandWorks(process.execPath, ["-e", "process.exit(3)"])).toMatch(/exited 3/);
    expect(commandWorks(process.execPath, ["-e", ""])).toBe(true);
  });
});

describe("the closing line", () => {
  it("reads the peers back from skipped tests' names and lists their packages once", () => {
    expect(parsePeerSkips("MAVLink over serial (socat pty pair; needs socat: apt-get install socat) > reconnects")).toEqual([
      { name: "socat", apt: ["socat"], npm: [] },
    ]);
    expect(parsePeerSkips("pymodbus peer (needs pymodbus: apt-get install python3-pymodbus python3-serial-asyncio)")).toEqual([
      { name: "pymodbus", apt: ["python3-pymodbus", "python3-serial-asyncio"], npm: [] },
    ]);
    expect(parsePeerSkips("wave-1 spool migration (needs better-sqlite3: npm install --no-save better-sqlite3@12) > replays")).toEqual([
      { name: "better-sqlite3", apt: [], npm: ["better-sqlite3@12"] },
    ]);
    expect(parsePeerSkips("skipped where /etc/plexus-bridge/config.yaml exists")).toEqual([]);
    const line = peerSkipLine(
      new Map([
        ["socat", { tests: 12, apt: ["socat"] }],
        ["pymodbus", { tests: 1, apt: ["python3-pymodbus", "python3-serial-asyncio"] }],
      ]),
    );
    expect(line).toBe(
      "skipped for want of system peers: socat (12 tests), pymodbus (1 test); to run them: apt-get install -y socat python3-pymodbus python3-serial-asyncio",
    );
    expect(
      peerSkipLine(
        new Map([
          ["socat", { tests: 12, apt: ["socat"], npm: [] }],
          ["better-sqlite3", { tests: 3, apt: [], npm: ["better-sqlite3@12"] }],
        ]),
      ),
    ).toBe(
      "skipped for want of system peers: socat (12 tests), better-sqlite3 (3 tests); to run them: apt-get install -y socat && npm install --no-save better-sqlite3@12",
    );
    expect(peerSkipLine(new Map())).toBeUndefined();
  });
});

it("without socat on PATH, the serial tests skip, the run passes, and it ends naming socat", () => {
  const bin = mkdtempSync(join(tmpdir(), "no-peers-bin-"));
  try {
    symlinkSync(process.execPath, join(bin, "node"));
    const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: bin, TMPDIR: tmpdir() };
    const run = spawnSync(
      process.execPath,
      [join(repoRoot, "node_modules/vitest/vitest.mjs"), "run", "test/adapters/modbus/rtu.test.ts", "test/adapters/can/slcan.test.ts"],
      { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 },
    );
    const lines = run.stdout.trim().split("\n");
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(lines.at(-2)).toMatch(/^tests: \d+ passed, 0 failed, \d+ skipped$/);
    expect(lines.at(-1)).toMatch(/^skipped for want of system peers: socat \(\d+ tests\); to run them: apt-get install -y socat$/);
    // The same run under CI=true fails instead of skipping.
    const ci = spawnSync(process.execPath, [join(repoRoot, "node_modules/vitest/vitest.mjs"), "run", "test/adapters/modbus/rtu.test.ts"], {
      cwd: repoRoot,
      env: { ...env, CI: "true" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(ci.status).not.toBe(0);
    expect(ci.stdout + ci.stderr).toContain("socat is required in CI (apt-get install -y socat)");
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}, 240_000);
