import { appendFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Spool } from "../../src/pipeline/spool.js";
import { HEADER_BYTES } from "../../src/pipeline/spool-record.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { tempDir } from "./queue-helpers.js";
import { identity, points } from "./spool-points.js";

describe("Spool (segment log)", () => {
  it("round-trips every kind of point in the same boot, keeping monotonic stamps for the uplink to map", () => {
    const dir = join(tempDir(), "spool");
    const spool = new Spool(dir, identity("boot-a", "run-1"), new MemoryLogger());
    spool.append([{ points, origins: [1, 1, 2, 2], sizes: [100, 100, 100, 100], done: 0 }]);
    spool.close();
    const again = new Spool(dir, identity("boot-a", "run-2"), new MemoryLogger());
    const [record] = again.recovered;
    const body = again.load(record);
    expect(body.points).toEqual(points);
    // Another run: adapter indices from the old run mean nothing now.
    expect(body.origins).toEqual([0, 0, 0, 0]);
    expect(body.sizes).toEqual([100, 100, 100, 100]);
    expect(again.points).toBe(4);
    again.close();
  });

  it("after a reboot, maps monotonic stamps to the old boot's wall clock and tags them clock=unsynced", () => {
    const dir = join(tempDir(), "spool");
    // Written when the monotonic clock read 20,000 ms and the (maybe wrong) wall clock 1,755,700,100,000.
    const spool = new Spool(dir, identity("boot-a", "run-1"), new MemoryLogger());
    spool.append([{ points: points.slice(0, 2), origins: [1, 1], sizes: [100, 100], done: 0 }]);
    spool.close();
    const rebooted = new Spool(dir, identity("boot-b", "run-2"), new MemoryLogger());
    const body = rebooted.load(rebooted.recovered[0]);
    expect(body.points[0]).toEqual({
      class: "metric",
      metric: "fc.attitude.roll",
      value: -0.25,
      timestamp: Math.round(1_755_700_100_000 - (20_000 - 10_000.5)),
      tags: { system_id: "1", clock: "unsynced" },
    });
    // A source's own timestamp is untouched.
    expect(body.points[1]).toEqual(points[1]);
    rebooted.close();
  });

  it("marks points done in place; a record all done is not replayed, and a segment all done is deleted", () => {
    const dir = join(tempDir(), "spool");
    const spool = new Spool(dir, identity("boot-a", "run-1"), new MemoryLogger(), { segmentBytes: 1 });
    const [a, b] = spool.append([
      { points, origins: [1, 1, 1, 1], sizes: [1, 1, 1, 1], done: 0 },
      { points, origins: [1, 1, 1, 1], sizes: [1, 1, 1, 1], done: 1 },
    ]);
    spool.markDone(a, 4);
    spool.markDone(b, 3);
    spool.close();
    const again = new Spool(dir, identity("boot-a", "run-2"), new MemoryLogger());
    expect(again.points).toBe(1);
    expect(again.recovered.map((r) => [r.count, r.done])).toEqual([[4, 3]]);
    again.markDone(again.recovered[0], 4);
    again.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("detects, counts and cuts off a torn tail, and replays the records before it", () => {
    const dir = join(tempDir(), "spool");
    const log = new MemoryLogger();
    const spool = new Spool(dir, identity("boot-a", "run-1"), log);
    spool.append([{ points, origins: [1, 1, 1, 1], sizes: [1, 1, 1, 1], done: 0 }]);
    spool.append([{ points, origins: [1, 1, 1, 1], sizes: [1, 1, 1, 1], done: 0 }]);
    spool.close();
    const [segment] = readdirSync(dir);
    const whole = readFileSync(join(dir, segment)).length;
    // A crash in the middle of the second record, then some garbage (a power cut on a cheap card).
    truncateSync(join(dir, segment), whole - 10);
    appendFileSync(join(dir, segment), Buffer.from([1, 2, 3]));
    const again = new Spool(dir, identity("boot-a", "run-2"), log);
    expect(again.tornTails).toBe(1);
    expect(again.points).toBe(4);
    expect(log.lines.some((l) => l.level === "warn" && /torn or corrupt record/.test(l.message))).toBe(true);
    again.close();
    // Cut off: the next start finds a clean segment.
    const third = new Spool(dir, identity("boot-a", "run-3"), log);
    expect(third.tornTails).toBe(0);
    expect(third.points).toBe(4);
    third.close();
  });

  it("a record whose bytes changed fails its CRC when read back", () => {
    const dir = join(tempDir(), "spool");
    const spool = new Spool(dir, identity("boot-a", "run-1"), new MemoryLogger());
    spool.append([{ points, origins: [1, 1, 1, 1], sizes: [1, 1, 1, 1], done: 0 }]);
    spool.close();
    const [segment] = readdirSync(dir);
    const bytes = readFileSync(join(dir, segment));
    bytes[HEADER_BYTES + 40] ^= 0x20;
    writeFileSync(join(dir, segment), bytes);
    const again = new Spool(dir, identity("boot-a", "run-2"), new MemoryLogger());
    expect(() => again.load(again.recovered[0])).toThrow(/CRC/);
    again.close();
  });
});
