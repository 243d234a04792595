import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/child.js";

describe("the README's first command", () => {
  it("plexus-bridge demo delivers real replayed MAVLink and CAN telemetry to the local gateway", () => {
    const run = spawnSync(process.execPath, [join(repoRoot, "bin/plexus-bridge.js"), "demo", "--duration", "6s"], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain("local gateway on http://127.0.0.1:");
    const byAdapter = /by adapter: (.*)/.exec(out.split("\n").reverse().join("\n"))?.[1] ?? "";
    const counts = Object.fromEntries(
      byAdapter.split(", ").map((part) => [part.split(" ")[0], Number(part.split(" ")[1].replace(/,/g, ""))]),
    );
    expect(counts.sub).toBeGreaterThan(100);
    expect(counts.car).toBeGreaterThan(100);
    expect(out).toMatch(/sub\.attitude\.roll\s+-?\d/);
    expect(out).toMatch(/car\.ESP_21\.ESP_v_Signal\s+\d/);
    expect(run.stderr).toMatch(/stopped: plexus-bridge-demo acknowledged=\d+ pending=0 dropped=0 invalid=0/);
    // The counter identity per adapter, with the adapter's own health counters (issue 9, item 8).
    expect(run.stderr).toMatch(
      /stopped: adapter car acknowledged=\d+ pending=0 dropped=0 invalid=0 received=\d+ \(= invalid \+ dropped \+ acknowledged \+ pending\); health: .*frames=\d+/,
    );
    // --duration stops it; no signal was sent, and the log says so.
    expect(run.stderr).toContain("demo --duration 6s elapsed: stopping");
    expect(run.stderr).not.toContain("SIGTERM");
  }, 90_000);
});
