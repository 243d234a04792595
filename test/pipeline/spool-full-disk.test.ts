/**
 * A full disk, for real: the spool lives on a 4 MiB tmpfs mounted for the test (root only; the
 * test says when it cannot mount one), filled by a filler file. Without root, the reserve is set
 * larger than the free space instead, which the spool must treat the same way.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { balanced, deliverBatches, drainAll, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();
const MiB = 1024 * 1024;

/** Mounts a tmpfs of `bytes`; undefined when this machine does not let us (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(bytes: number, inodes?: number): string | undefined {
  const dir = tempDir("plexus-bridge-tmpfs-");
  try {
    const options = `size=${bytes}${inodes ? `,nr_inodes=${inodes}` : ""}`;
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "ignore" });
    mounted.push(dir);
    return dir;
  } catch {
    return undefined;
  }
}
const mounted: string[] = [];
afterAll(() => {
  for (const dir of mounted) execFileSync("umount", ["-l", dir], { stdio: "ignore" });
});

const free = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Writes zeros until the filesystem refuses (ENOSPC) or `bytes` are written. */
function fill(path: string, bytes = Number.POSITIVE_INFINITY): void {
  const fd = openSync(path, "w");
  const block = Buffer.alloc(64 * 1024);
  try {
    for (let written = 0; written < bytes; written += block.length) writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}

const canMount = mountTmpfs(64 * 1024) !== undefined;
const requireTmpfs = process.env.CI === "true";

describe.skipIf(!canMount && !requireTmpfs)("a full disk on a real 4 MiB tmpfs (needs root for mount -t tmpfs; required under CI)", () => {
  it("stays out of the reserve, recovers by itself once space returns, and frees the disk as points are acknowledged", () => {
    const fs = mountTmpfs(4 * MiB)!;
    expect(fs, "mount -t tmpfs (root) is required under CI").toBeDefined();
    const reserve = 512 * 1024;
    fill(join(fs, "filler"), 3 * MiB);
    const spool = join(fs, "spool");
    const r = rig({ durability: "spill", disk_reserve: "512KiB" }, spool, "run-1", { segmentBytes: 256 * 1024 });
    r.queue.setUplinkUp(false);
    for (let i = 0; i < 40; i++) r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
    r.queue.setUplinkUp(false); // writes behind now
    expect(free(fs)).toBeGreaterThanOrEqual(reserve);
    expect(r.log.lines.some((l) => l.level === "warn" && /spool .*reserve/.test(l.message))).toBe(true);
    expect(balanced(r)).toMatchObject({ pending: 40_000, dropped: 0 });
    expect(r.queue.spoolStats()).toMatchObject({ full: "disk reserve" });

    // Space returns: the spool writes what waited, and still leaves the reserve free.
    rmSync(join(fs, "filler"));
    r.queue.setUplinkUp(false);
    expect(r.log.lines.some((l) => /spool writable again/.test(l.message))).toBe(true);
    expect(r.queue.spoolStats()?.points).toBe(40_000);
    for (let i = 40; i < 200; i++) {
      r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
      r.queue.setUplinkUp(false);
      expect(free(fs)).toBeGreaterThanOrEqual(reserve);
    }
    const stats = balanced(r);
    expect(stats.pending + stats.dropped).toBe(200_000);

    r.queue.setUplinkUp(true);
    const values = drainAll(r.queue, 5000);
    expect(values.length).toBe(stats.pending);
    expect(balanced(r).pending).toBe(0);
    // Every segment was acknowledged and deleted: the disk is free again.
    expect(free(fs)).toBeGreaterThan(3.5 * MiB);
  });

  it("never re-sends acknowledged points because the disk was 100 % full when they were acknowledged; the stop count is what the next start replays", () => {
    const fs = mountTmpfs(4 * MiB)!;
    expect(fs, "mount -t tmpfs (root) is required under CI").toBeDefined();
    const spool = join(fs, "spool");
    const r = rig({ durability: "spill", disk_reserve: 0 }, spool, "run-1", { segmentBytes: 128 * 1024 });
    r.queue.setUplinkUp(false);
    for (let i = 0; i < 30; i++) r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
    r.queue.setUplinkUp(false);
    // Something else on the box takes every byte left.
    fill(join(fs, "filler"));
    expect(free(fs)).toBe(0);
    r.queue.setUplinkUp(true);
    const delivered = deliverBatches(r.queue, 7, 2500);
    r.queue.close();
    const atStop = balanced(r);
    expect(atStop.acknowledged).toBe(delivered);
    rmSync(join(fs, "filler"));

    const next = rig({ durability: "spill", disk_reserve: 0 }, spool, "run-2", { segmentBytes: 128 * 1024 });
    expect(next.queue.pending).toBe(atStop.pending);
    const values = drainAll(next.queue, 5000);
    expect(values.length).toBe(atStop.pending);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(delivered);
  });
});

describe.skipIf(!canMount && !requireTmpfs)(
  "ENOSPC despite the reserve: a tmpfs out of inodes (needs root for mount -t tmpfs; required under CI)",
  () => {
    it("logs the failed write, keeps the points in memory, and writes them once the filesystem takes files again", async () => {
      const fs = mountTmpfs(4 * MiB, 4)!;
      expect(fs, "mount -t tmpfs (root) is required under CI").toBeDefined();
      const spool = join(fs, "spool");
      const r = rig({ durability: "spill", disk_reserve: 0 }, spool, "run-1", { segmentBytes: 16 * 1024 });
      // The spool folder and the first segment take two of the four inodes; the third goes to a filler.
      r.pipeline.ingest(r.origin, seqPoints(0, 100));
      r.queue.persist();
      writeFileSync(join(fs, "filler"), "x");
      for (let i = 1; i < 10; i++) r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
      r.queue.persist();
      expect(r.log.lines.some((l) => l.level === "error" && /spool write failed \(ENOSPC/.test(l.message))).toBe(true);
      expect(balanced(r)).toMatchObject({ pending: 9100, dropped: 0 });
      rmSync(join(fs, "filler"));
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the spool rests a second after a failure
      r.queue.persist();
      expect(r.log.lines.some((l) => /spool writable again/.test(l.message))).toBe(true);
      expect(r.queue.spoolStats()).toMatchObject({ points: 9100, full: undefined });
    });
  },
);

describe.skipIf(canMount)("a full disk, simulated (cannot mount a tmpfs here: not root): a reserve larger than the free space", () => {
  it("writes nothing into the reserve, serves from memory and counts what it could not keep at shutdown", () => {
    const dir = tempDir();
    const r = rig({ durability: "spill", disk_reserve: free(dir) + 64 * MiB }, join(dir, "spool"));
    r.queue.setUplinkUp(false);
    r.pipeline.ingest(r.origin, seqPoints(0, 5000));
    r.queue.setUplinkUp(false);
    expect(r.log.lines.some((l) => l.level === "warn" && /spool .*reserve/.test(l.message))).toBe(true);
    r.queue.setUplinkUp(true);
    expect(drainAll(r.queue)).toEqual(seqPoints(0, 5000).map((p) => p.value));
    expect(balanced(r)).toMatchObject({ acknowledged: 5000, pending: 0, dropped: 0 });
  });
});
