/**
 * The spool when things go wrong: batches given back and written on a disconnect, a full disk
 * (simulated by a reserve larger than the free space; spool-full-disk.test.ts fills a real one),
 * a state dir the bridge cannot write, and what `durability: always` asks of the spool.
 */
import { mkdirSync, readdirSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootId } from "../../src/clock.js";
import { loadConfig } from "../../src/config/index.js";
import { Daemon, type SinkContext } from "../../src/daemon.js";
import { Spool } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { balanced, drainAll, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();

/** Points on disk not yet done, as the next start would replay them. */
function onDisk(dir: string): number {
  const reader = new Spool(dir, { bootId: bootId(), runId: "reader", monoNow: () => 0, wallNow: () => 0 }, new MemoryLogger());
  try {
    return reader.points;
  } finally {
    reader.close();
  }
}

/** A reserve larger than the free space: to the spool, a full disk. */
const fullDisk = (dir: string) => {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize + 64 * 1024 * 1024;
};

describe("spool records given back on a disconnect", () => {
  it("marks a written, given-back batch done once acknowledged, and a clean stop leaves no segment behind", () => {
    const dir = join(tempDir(), "spool");
    const r = rig({ durability: "spill" }, dir);
    r.queue.setUplinkUp(true);
    r.pipeline.ingest(r.origin, seqPoints(0, 10));
    const batch = r.queue.take(100, 1e9)!;
    r.queue.giveBack(batch);
    r.queue.setUplinkUp(false); // writes behind now
    expect(onDisk(dir)).toBe(10);
    r.queue.setUplinkUp(true);
    expect(drainAll(r.queue)).toEqual(seqPoints(0, 10).map((p) => p.value));
    expect(onDisk(dir)).toBe(0);
    r.queue.close();
    expect(readdirSync(dir)).toEqual([]);
    const next = rig({ durability: "spill" }, dir, "run-2");
    expect(next.queue.pending).toBe(0);
  });
});

describe("a full disk (the reserve larger than the free space)", () => {
  it("keeps running from memory, loses nothing and keeps the identity when writing behind is refused", () => {
    const dir = tempDir();
    const r = rig({ durability: "spill", memory_max_points: 100_000, disk_reserve: fullDisk(dir) }, join(dir, "spool"));
    r.queue.setUplinkUp(false);
    for (let i = 0; i < 20; i++) expect(() => r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000))).not.toThrow();
    expect(() => r.queue.setUplinkUp(false)).not.toThrow();
    expect(r.log.lines.some((l) => l.level === "warn" && /spool full: the free-space reserve/.test(l.message))).toBe(true);
    const source = balanced(r);
    expect(source.pending).toBe(20_000);
    expect(source.dropped).toBe(0);
    r.queue.setUplinkUp(true);
    expect(drainAll(r.queue)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(balanced(r).acknowledged).toBe(20_000);
  });

  it("durability: always still delivers every point in order when the spool refuses writes", async () => {
    const dir = tempDir();
    const r = rig({ durability: "always", disk_reserve: fullDisk(dir) }, join(dir, "spool"));
    r.queue.setUplinkUp(true);
    for (let i = 0; i < 10; i++) r.pipeline.ingest(r.origin, seqPoints(i * 2000, 2000));
    await r.queue.settled();
    const values: number[] = [];
    expect(() => values.push(...drainAll(r.queue))).not.toThrow();
    expect(values).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(balanced(r).acknowledged).toBe(20_000);
  });

  it("counts what it cannot spool at shutdown as dropped, instead of losing it silently", () => {
    const dir = tempDir();
    const r = rig({ durability: "spill", disk_reserve: fullDisk(dir) }, join(dir, "spool"));
    r.pipeline.ingest(r.origin, seqPoints(0, 20_000));
    expect(() => r.queue.close()).not.toThrow();
    const source = balanced(r);
    expect(source).toMatchObject({ pending: 0, dropped: 20_000, dropped_reasons: { "shutdown: spool full": 20_000 } });
    expect(onDisk(join(dir, "spool"))).toBe(0);
  });

  it("at spool_max_bytes, the stop count is exactly what the next start replays", () => {
    const dir = join(tempDir(), "spool");
    const r = rig({ durability: "spill", spool_max_bytes: 100_000, when_full: "drop_newest" }, dir);
    r.pipeline.ingest(r.origin, seqPoints(0, 5000));
    r.queue.close();
    const source = balanced(r);
    expect(source.pending).toBeGreaterThan(0);
    expect(source.pending).toBe(onDisk(dir));
    expect(source.dropped).toBe(5000 - source.pending);
  });
});

describe("a state dir the bridge cannot write", () => {
  async function daemonIn(stateDir: string, durability: string) {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeFileSync(file, `plexus:\n  source_id: src\nqueue:\n  durability: ${durability}\n`);
    const { config, problems } = await loadConfig(file);
    expect(problems).toEqual([]);
    const log = new MemoryLogger();
    let context: SinkContext | undefined;
    const daemon = new Daemon(config!, {
      log,
      stateDir,
      sinkFactory: (c) => {
        context = c;
        return { start: () => {}, stop: async () => {} };
      },
    });
    return { daemon, log, queue: () => context!.queue };
  }

  it("starts without a spool, says so, and counts what it drops at shutdown", async () => {
    const blocker = join(tempDir(), "not-a-dir");
    writeFileSync(blocker, "");
    const { daemon, log, queue } = await daemonIn(join(blocker, "state"), "spill");
    await expect(daemon.start()).resolves.toBeUndefined();
    expect(log.lines.some((l) => l.level === "error" && /cannot open the spool .*memory only/.test(l.message))).toBe(true);
    queue().enqueue([{ class: "metric", metric: "m", value: 1, timestamp: 1 }], [40], 40, 0);
    await daemon.stop();
    const source = daemon.stats().sources.src;
    expect(source.dropped_reasons).toEqual({ "shutdown: no spool": 1 });
  });

  it("leaves a spool it cannot open for another reason than corruption where it is", async () => {
    const stateDir = tempDir();
    // A file where the spool's folder should be: not corruption, nothing is moved aside.
    mkdirSync(join(stateDir, "spool"), { recursive: true });
    writeFileSync(join(stateDir, "spool", "src"), "keep");
    const { daemon, log } = await daemonIn(stateDir, "spill");
    await daemon.start();
    expect(log.lines.some((l) => /moved aside/.test(l.message))).toBe(false);
    expect(log.lines.some((l) => l.level === "error" && /cannot open the spool/.test(l.message))).toBe(true);
    await daemon.stop();
  });

  it("durability: always syncs every write to the device (a power cut must not lose what was promised on disk); spill does not", async () => {
    for (const [durability, sync] of [
      ["always", true],
      ["spill", false],
    ] as const) {
      const { daemon, queue } = await daemonIn(tempDir(), durability);
      await daemon.start();
      const spool = (queue() as unknown as { spooler: { spool: Spool } }).spooler.spool;
      expect(spool.limits.syncEveryWrite).toBe(sync);
      await daemon.stop();
    }
  });
});
