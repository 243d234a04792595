/**
 * Wave-1 SQLite spools migrated into the segment log (src/pipeline/spool-migrate.ts). The bridge
 * loads better-sqlite3 only when such a file exists, and it is in no install by default (it
 * compiles): like a system peer, these tests skip without it, naming the install, and fail under
 * CI=true, where .ci/run installs it.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { spoolJson } from "../../src/pipeline/point-json.js";
import { Spool } from "../../src/pipeline/spool.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { requireModulePeer } from "../helpers/system-peer.js";
import { drainAll, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";
import { identity, points } from "./spool-points.js";

const sqlite = requireModulePeer({ name: "better-sqlite3", npm: "better-sqlite3@12" });
const rig = rigsClosedAfterEach();

function openDatabase(path: string): Database.Database {
  const open: typeof Database = createRequire(import.meta.url)("better-sqlite3");
  return new open(path);
}

/** A wave-1 SQLite spool (its schema as wave 1 wrote it) holding `points` in two rows. */
function wave1Spool(dir: string): string {
  const legacy = join(dir, "src.db");
  const db = openDatabase(legacy);
  db.pragma("journal_mode = WAL");
  db.exec(
    "CREATE TABLE rows (id INTEGER PRIMARY KEY AUTOINCREMENT, boot TEXT NOT NULL, run TEXT NOT NULL, mono REAL NOT NULL, wall REAL NOT NULL, ord REAL NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, points TEXT NOT NULL, origins TEXT NOT NULL, sizes TEXT NOT NULL)",
  );
  db.pragma("user_version = 1");
  const insert = db.prepare(
    "INSERT INTO rows (id, boot, run, mono, wall, ord, count, bytes, points, origins, sizes) VALUES (?, 'boot-a', 'old', 0, 0, 0, ?, 0, ?, ?, ?)",
  );
  // A row given back ahead of the others had a negative id in wave 1.
  insert.run(5, 2, spoolJson(points.slice(2)), "[1,1]", "[30,40]");
  insert.run(-1, 2, spoolJson(points.slice(0, 2)), "[1,1]", "[10,20]");
  db.close();
  return legacy;
}

describe.skipIf(!sqlite.available)(`wave-1 spool migration (${sqlite.reason})`, () => {
  it("replays a wave-1 SQLite spool once: copied into the log in order, then deleted", () => {
    const dir = tempDir();
    const legacy = wave1Spool(dir);
    const log = new MemoryLogger();
    const spool = new Spool(join(dir, "src"), identity("boot-a", "run-1"), log, { legacyDb: legacy });
    expect(spool.points).toBe(4);
    expect(spool.recovered.flatMap((r) => spool.load(r).points)).toEqual(points);
    expect(spool.load(spool.recovered[0]).sizes).toEqual([10, 20]);
    expect(readdirSync(dir).filter((f) => f.startsWith("src.db"))).toEqual([]);
    expect(log.lines.some((l) => /migrated 4 points/.test(l.message))).toBe(true);
    spool.close();
    // Replayed once: the next start finds the log only.
    const again = new Spool(join(dir, "src"), identity("boot-a", "run-2"), log, { legacyDb: legacy });
    expect(again.points).toBe(4);
    again.close();
  });

  it("leaves a wave-1 spool in place when copying it would write into the disk reserve", () => {
    const dir = tempDir();
    const legacy = wave1Spool(dir);
    const log = new MemoryLogger();
    const limits = { maxBytes: Number.POSITIVE_INFINITY, reserve: { percent: 100 }, syncEveryWrite: false };
    const spool = new Spool(join(dir, "src"), identity("boot-a", "run-1"), log, { legacyDb: legacy, limits });
    expect(spool.points).toBe(0);
    expect(readdirSync(dir)).toContain("src.db");
    expect(log.lines.some((l) => l.level === "error" && /cannot migrate .*no room/.test(l.message))).toBe(true);
    spool.close();
  });

  it("moves a SQLite spool of another format aside instead of misreading it", () => {
    const dir = tempDir();
    const legacy = join(dir, "s.db");
    const old = openDatabase(legacy);
    old.pragma("user_version = 99");
    old.close();
    const log = new MemoryLogger();
    const spool = new Spool(join(dir, "s"), identity("boot-a", "run-1"), log, { legacyDb: legacy });
    expect(log.lines.find((l) => l.level === "error")?.message).toMatch(/spool format 99.*moved aside/);
    expect(spool.points).toBe(0);
    spool.close();
  });

  it("a corrupt wave-1 SQLite spool is moved aside with a clear log line and the queue works", async () => {
    const dir = tempDir();
    const legacy = join(dir, "src.db");
    writeFileSync(legacy, Buffer.from("this is not a sqlite database, it is garbage ".repeat(200)));
    const r = rig({ durability: "spill" }, join(dir, "src"), "run-1", { legacyDb: legacy });
    expect(r.log.lines.some((l) => l.level === "error" && l.message.includes("moved aside"))).toBe(true);
    expect(readdirSync(dir).some((f) => f.includes(".corrupt-"))).toBe(true);
    r.pipeline.ingest(r.origin, seqPoints(0, 10));
    expect(drainAll(r.queue)).toHaveLength(10);
  });
});
