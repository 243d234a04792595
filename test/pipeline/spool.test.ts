import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { QueuedPoint } from "../../src/pipeline/batch-source.js";
import { Spool, type SpoolIdentity } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { tempDir } from "./queue-helpers.js";

const points: QueuedPoint[] = [
  { class: "metric", metric: "fc.attitude.roll", value: -0.25, timestamp: 10_000.5, mono: true, tags: { system_id: "1" } },
  { class: "event", metric: "fc.heartbeat.mode", value: "GUIDED", timestamp: 1_755_700_000_123 },
  {
    class: "event",
    metric: "plc.flags",
    value: { door: true, list: [1, "two"] },
    timestamp: 1_755_700_000_124,
    session_id: "s_1",
    tags: { session_id: "s_1" },
  },
  { class: "event", metric: "plc.ok", value: false, timestamp: 1_755_700_000_125 },
];

function identity(bootId: string, runId: string, wall = 1_755_700_100_000, mono = 20_000): SpoolIdentity {
  return { bootId, runId, monoNow: () => mono, wallNow: () => wall };
}

describe("Spool", () => {
  it("round-trips every kind of point in the same boot, keeping monotonic stamps for the uplink to map", () => {
    const path = join(tempDir(), "s.db");
    const spool = new Spool(path, identity("boot-a", "run-1"), new MemoryLogger());
    spool.append(points, [1, 1, 2, 2], [100, 100, 100, 100], 400, 0);
    spool.close();
    const again = new Spool(path, identity("boot-a", "run-2"), new MemoryLogger());
    const [row] = again.read(Number.NEGATIVE_INFINITY, 10);
    expect(row.points).toEqual(points);
    // Another run: adapter indices from the old run mean nothing now.
    expect(row.origins).toEqual([0, 0, 0, 0]);
    expect(again.points).toBe(4);
    expect(again.bytes).toBe(400);
  });

  it("after a reboot, maps monotonic stamps to the old boot's wall clock and tags them clock=unsynced", () => {
    const path = join(tempDir(), "s.db");
    // Written when the monotonic clock read 20,000 ms and the (maybe wrong) wall clock 1,755,700,100,000.
    const spool = new Spool(path, identity("boot-a", "run-1"), new MemoryLogger());
    spool.append(points.slice(0, 2), [1, 1], [100, 100], 200, 0);
    spool.close();
    const rebooted = new Spool(path, identity("boot-b", "run-2"), new MemoryLogger());
    const [row] = rebooted.read(Number.NEGATIVE_INFINITY, 10);
    expect(row.points[0]).toEqual({
      class: "metric",
      metric: "fc.attitude.roll",
      value: -0.25,
      timestamp: Math.round(1_755_700_100_000 - (20_000 - 10_000.5)),
      tags: { system_id: "1", clock: "unsynced" },
    });
    // A source's own timestamp is untouched.
    expect(row.points[1]).toEqual(points[1]);
  });

  it("moves a spool of another format aside instead of misreading it", async () => {
    const { default: Database } = await import("better-sqlite3");
    const dir = tempDir();
    const path = join(dir, "s.db");
    const old = new Database(path);
    old.pragma("user_version = 99");
    old.close();
    const log = new MemoryLogger();
    const spool = new Spool(path, identity("boot-a", "run-1"), log);
    expect(log.lines.find((l) => l.level === "error")?.message).toMatch(/spool format 99.*moved aside/);
    expect(spool.points).toBe(0);
  });
});
