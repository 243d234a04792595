/**
 * The spool when things go wrong: rows given back and spilled on a disconnect, a full disk
 * (SQLITE_FULL), a state dir the bridge cannot write, and what `durability: always` asks of SQLite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { bootId } from "../../src/clock.js";
import { loadConfig } from "../../src/config/index.js";
import { Daemon, type SinkContext } from "../../src/daemon.js";
import { Spool } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { drainAll, type QueueRig, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();

function balanced(r: QueueRig) {
  const stats = r.pipeline.stats();
  for (const counters of [...Object.values(stats.sources), ...Object.values(stats.adapters)]) {
    expect(counters.received).toBe(counters.invalid + counters.dropped + counters.acknowledged + counters.pending);
  }
  return stats.sources.src;
}

function rowsOnDisk(path: string): { id: number; count: number }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT id, count FROM rows ORDER BY id").all() as { id: number; count: number }[];
  } finally {
    db.close();
  }
}

/** The spool's connection: SQLITE_FULL is made real with max_page_count. */
function dbOf(r: QueueRig): Database.Database {
  return (r.queue as unknown as { spool: { db: Database.Database } }).spool.db;
}

describe("spool rows given back on a disconnect", () => {
  it("deletes a spilled given-back batch once it is acknowledged (an empty spool gave it row id 0, never deleted)", () => {
    const path = join(tempDir(), "s.db");
    const r = rig({ durability: "spill" }, path);
    r.queue.setUplinkUp(true);
    r.pipeline.ingest(r.origin, seqPoints(0, 10));
    const batch = r.queue.take(100, 1e9)!;
    r.queue.giveBack(batch);
    r.queue.setUplinkUp(false); // spills the given-back points ahead of everything
    expect(rowsOnDisk(path).map((row) => row.count)).toEqual([10]);
    r.queue.setUplinkUp(true);
    expect(drainAll(r.queue)).toEqual(seqPoints(0, 10).map((p) => p.value));
    expect(rowsOnDisk(path)).toEqual([]);
    r.queue.close();
    // Nothing acknowledged comes back at the next start.
    expect(rowsOnDisk(path)).toEqual([]);
    const next = rig({ durability: "spill" }, path, "run-2");
    expect(next.queue.pending).toBe(0);
  });

  it("renumbers a row 0 left by an earlier version, so it is replayed once and then deleted", () => {
    const path = join(tempDir(), "s.db");
    const first = rig({ durability: "spill" }, path);
    first.pipeline.ingest(first.origin, seqPoints(0, 5));
    first.queue.close();
    const db = new Database(path);
    db.prepare("UPDATE rows SET id = 0").run();
    db.close();
    const second = rig({ durability: "spill" }, path, "run-2");
    expect(second.queue.pending).toBe(5);
    expect(drainAll(second.queue)).toEqual([0, 1, 2, 3, 4]);
    second.queue.close();
    expect(rowsOnDisk(path)).toEqual([]);
  });
});

describe("a full disk (SQLITE_FULL)", () => {
  it("keeps running from memory, loses nothing and keeps the identity when spilling fails", () => {
    const path = join(tempDir(), "s.db");
    const r = rig({ durability: "spill", memory_max_points: 100_000 }, path);
    const db = dbOf(r);
    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    r.queue.setUplinkUp(false);
    for (let i = 0; i < 20; i++) expect(() => r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000))).not.toThrow();
    // Spilling on the disconnect, on the timer's schedule: the same path.
    expect(() => r.queue.setUplinkUp(false)).not.toThrow();
    expect(r.log.lines.some((l) => l.level === "error" && /spool write failed \(SQLITE_FULL/.test(l.message))).toBe(true);
    const source = balanced(r);
    expect(source.pending).toBe(20_000);
    expect(source.dropped).toBe(0);
    r.queue.setUplinkUp(true);
    const values = drainAll(r.queue);
    expect(values).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(balanced(r).acknowledged).toBe(20_000);
  });

  it("durability: always still delivers every point in order when the spool refuses writes", () => {
    const path = join(tempDir(), "s.db");
    const r = rig({ durability: "always" }, path);
    const db = dbOf(r);
    db.pragma(`max_page_count = ${(db.pragma("page_count", { simple: true }) as number) + 2}`);
    r.queue.setUplinkUp(true);
    for (let i = 0; i < 10; i++) r.pipeline.ingest(r.origin, seqPoints(i * 2000, 2000));
    const values: number[] = [];
    expect(() => values.push(...drainAll(r.queue))).not.toThrow();
    expect(values).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(balanced(r).acknowledged).toBe(20_000);
  });

  it("counts what it cannot spool at shutdown as dropped, instead of losing it silently", () => {
    const path = join(tempDir(), "s.db");
    const r = rig({ durability: "spill" }, path);
    const db = dbOf(r);
    db.pragma(`max_page_count = ${(db.pragma("page_count", { simple: true }) as number) + 2}`);
    r.pipeline.ingest(r.origin, seqPoints(0, 20_000));
    expect(() => r.queue.close()).not.toThrow();
    const source = balanced(r);
    // What reached the disk is pending (replayed at the next start); the rest is counted as dropped.
    const onDisk = rowsOnDisk(path).reduce((sum, row) => sum + row.count, 0);
    expect(source.pending).toBe(onDisk);
    expect(source.dropped).toBe(20_000 - onDisk);
    expect(source.dropped_reasons).toEqual({ "shutdown: spool write failed": 20_000 - onDisk });
  });

  it("counts memory it cannot spill at shutdown when the spool is at spool_max_bytes (when_full: drop_newest)", () => {
    const path = join(tempDir(), "s.db");
    const r = rig({ durability: "spill", spool_max_bytes: 10_000, when_full: "drop_newest" }, path);
    r.pipeline.ingest(r.origin, seqPoints(0, 5000));
    r.queue.close();
    const source = balanced(r);
    const onDisk = rowsOnDisk(path).reduce((sum, row) => sum + row.count, 0);
    expect(source.pending).toBe(onDisk);
    expect(source.dropped).toBe(5000 - onDisk);
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
    // A folder where the database file should be: SQLITE_CANTOPEN, not corruption.
    mkdirSync(join(stateDir, "spool", "src.db"), { recursive: true });
    writeFileSync(join(stateDir, "spool", "src.db", "keep"), "");
    const { daemon, log } = await daemonIn(stateDir, "spill");
    await daemon.start();
    expect(log.lines.some((l) => /moved aside/.test(l.message))).toBe(false);
    expect(log.lines.some((l) => l.level === "error" && /cannot open the spool/.test(l.message))).toBe(true);
    await daemon.stop();
  });

  it("durability: always syncs every commit (a power cut must not lose what was promised on disk)", async () => {
    const stateDir = tempDir();
    const { daemon, queue } = await daemonIn(stateDir, "always");
    await daemon.start();
    const spool = (queue() as unknown as { spool: { db: Database.Database } }).spool;
    expect(spool.db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    await daemon.stop();
    const spill = new Spool(
      join(tempDir(), "s.db"),
      { bootId: bootId(), runId: "r", monoNow: () => 0, wallNow: () => 0 },
      new MemoryLogger(),
    );
    expect((spill as unknown as { db: Database.Database }).db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    spill.close();
  });
});
