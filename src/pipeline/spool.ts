/**
 * The durable part of a source's queue: rows of points in SQLite (WAL), oldest first. A row is
 * deleted only when every point in it has been acknowledged, so a SIGKILL at any moment loses
 * nothing that reached the disk (and may resend some: duplicates over loss).
 */
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import Database from "better-sqlite3";
import type { Logger } from "../log.js";
import type { QueuedPoint } from "./batch-source.js";
import { parseSpoolJson, spoolJson } from "./point-json.js";

export interface SpoolRow {
  id: number;
  points: QueuedPoint[];
  /** Adapter index per point, valid only for rows written by this run (else all 0 = "spool"). */
  origins: number[];
  sizes: number[];
  bytes: number;
  /** The queue ordinal of the first point; rows of earlier runs sort before everything of this one. */
  ord: number;
}

export interface SpoolIdentity {
  /** Monotonic stamps are comparable only within one boot. */
  bootId: string;
  /** Adapter indices are meaningful only within one run. */
  runId: string;
  monoNow(): number;
  /** The local wall clock (may be wrong on a box that booted without NTP). */
  wallNow(): number;
}

export interface SpoolOptions {
  /**
   * Sync every commit to the device (`durability: always` promises points survive a power cut).
   * Without it a commit survives a SIGKILL, and a power cut can lose what was written since the
   * WAL was last synced (at a checkpoint).
   */
  syncEveryCommit?: boolean;
}

/** SQLite's result codes for a file that is not a readable database: only these move a spool aside. */
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;

/** Bumped whenever the row encoding changes: an older spool is moved aside, never misread. */
const SPOOL_FORMAT = 1;

type Row = {
  id: number;
  boot: string;
  run: string;
  mono: number;
  wall: number;
  ord: number;
  count: number;
  bytes: number;
  points: string;
  origins: string;
  sizes: string;
};

class SpoolFormatError extends Error {}

export class Spool {
  private db!: BetterSqlite3.Database;
  private insert!: BetterSqlite3.Statement;
  private insertAt!: BetterSqlite3.Statement;
  private select!: BetterSqlite3.Statement;
  private remove!: BetterSqlite3.Statement;
  private oldest!: BetterSqlite3.Statement;
  private minId!: BetterSqlite3.Statement;
  private _bytes = 0;
  private _points = 0;

  constructor(
    readonly path: string,
    private readonly identity: SpoolIdentity,
    private readonly log: Logger,
    private readonly options: SpoolOptions = {},
  ) {
    this.open();
  }

  get bytes(): number {
    return this._bytes;
  }
  get points(): number {
    return this._points;
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    try {
      this.openDatabase();
    } catch (error) {
      // A spool that cannot be opened for another reason (a read-only or full disk, permissions)
      // still holds points: leave it where it is for the next start, and let the caller go on without.
      if (!(error instanceof SpoolFormatError) && !CORRUPT.test(String((error as { code?: unknown }).code))) {
        try {
          this.db?.close();
        } catch {}
        throw error;
      }
      // A corrupt spool must never become a crash loop: keep the file for forensics, start empty.
      const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      this.log.error(
        `spool ${this.path} is unreadable (${(error as Error).message}); moved aside to ${aside}, starting with an empty spool`,
      );
      try {
        this.db?.close();
      } catch {}
      for (const suffix of ["", "-wal", "-shm"]) {
        if (existsSync(this.path + suffix)) renameSync(this.path + suffix, aside + suffix);
      }
      this.openDatabase();
    }
  }

  private openDatabase(): void {
    this.db = new Database(this.path);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode survives a process crash (SIGKILL); only a power cut can lose the last
    // commits. FULL syncs the WAL at every commit, so a power cut loses nothing committed.
    this.db.pragma(`synchronous = ${this.options.syncEveryCommit ? "FULL" : "NORMAL"}`);
    this.db.pragma("wal_autocheckpoint = 16384");
    // A checkpoint reuses the WAL but leaves the file at its largest; after a long outage that
    // could hold hundreds of MB of an SD card for good. Truncate it back to 64 MiB after each.
    this.db.pragma("journal_size_limit = 67108864");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY AUTOINCREMENT, boot TEXT NOT NULL, run TEXT NOT NULL, mono REAL NOT NULL, wall REAL NOT NULL, ord REAL NOT NULL, count INTEGER NOT NULL, bytes INTEGER NOT NULL, points TEXT NOT NULL, origins TEXT NOT NULL, sizes TEXT NOT NULL)",
    );
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version === 0) this.db.pragma(`user_version = ${SPOOL_FORMAT}`);
    else if (version !== SPOOL_FORMAT) throw new SpoolFormatError(`spool format ${version}, this version reads format ${SPOOL_FORMAT}`);
    const check = this.db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new SpoolFormatError(`integrity check failed: ${check}`);
    // Row id 0 means "memory only" to the queue; earlier versions could prepend a row with id 0,
    // which was then never deleted (replayed at every start). Shift rows <= 0 down by one, in order.
    if (this.db.prepare("SELECT 1 FROM rows WHERE id = 0").get()) {
      this.db.transaction(() => {
        this.db.exec(`UPDATE rows SET id = id - ${2 ** 40} WHERE id <= 0`);
        this.db.exec(`UPDATE rows SET id = id + ${2 ** 40 - 1} WHERE id <= ${-(2 ** 40)}`);
      })();
    }
    const totals = this.db.prepare("SELECT COALESCE(SUM(bytes),0) AS bytes, COALESCE(SUM(count),0) AS points FROM rows").get() as {
      bytes: number;
      points: number;
    };
    this._bytes = totals.bytes;
    this._points = totals.points;
    this.insert = this.db.prepare(
      "INSERT INTO rows (boot, run, mono, wall, ord, count, bytes, points, origins, sizes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertAt = this.db.prepare(
      "INSERT INTO rows (id, boot, run, mono, wall, ord, count, bytes, points, origins, sizes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.select = this.db.prepare("SELECT * FROM rows WHERE id > ? ORDER BY id LIMIT ?");
    this.remove = this.db.prepare("DELETE FROM rows WHERE id = ?");
    this.oldest = this.db.prepare("SELECT id, count, bytes FROM rows ORDER BY id LIMIT 1");
    this.minId = this.db.prepare("SELECT MIN(id) AS id FROM rows");
  }

  /** Appends points after every row; returns the row id. */
  append(points: QueuedPoint[], origins: number[], sizes: number[], bytes: number, ord: number): number {
    const info = this.insert.run(...this.encode(points, origins, sizes, bytes, ord));
    this._bytes += bytes;
    this._points += points.length;
    return Number(info.lastInsertRowid);
  }

  /** Writes points ahead of every row (points given back that are older than what is spooled). */
  prepend(points: QueuedPoint[], origins: number[], sizes: number[], bytes: number, ord: number): number {
    const min = (this.minId.get() as { id: number | null }).id;
    // Never 0: the queue reads row 0 as "memory only" and would never delete the row.
    const id = min === null || min === 1 ? -1 : min - 1;
    this.insertAt.run(id, ...this.encode(points, origins, sizes, bytes, ord));
    this._bytes += bytes;
    this._points += points.length;
    return id;
  }

  /** Up to `limit` rows with id greater than `afterId`, oldest first. */
  read(afterId: number, limit: number): SpoolRow[] {
    return (this.select.all(afterId, limit) as Row[]).map((row) => this.decode(row));
  }

  delete(id: number, count: number, bytes: number): void {
    if (this.options.syncEveryCommit) {
      // A delete lost to a power cut only replays acknowledged points (a duplicate, never a loss),
      // so it need not wait for the device; the next synced commit covers it (the WAL is in order).
      this.db.pragma("synchronous = NORMAL");
      try {
        this.remove.run(id);
      } finally {
        this.db.pragma("synchronous = FULL");
      }
    } else {
      this.remove.run(id);
    }
    this._bytes -= bytes;
    this._points -= count;
  }

  oldestRow(): { id: number; count: number; bytes: number } | undefined {
    return this.oldest.get() as { id: number; count: number; bytes: number } | undefined;
  }

  /** Runs several writes as one transaction (one fsync on the WAL); on failure, nothing of it counts. */
  transaction<T>(work: () => T): T {
    const bytes = this._bytes;
    const points = this._points;
    try {
      return this.db.transaction(work)();
    } catch (error) {
      this._bytes = bytes;
      this._points = points;
      throw error;
    }
  }

  close(): void {
    try {
      this.db.close();
    } catch {}
  }

  private encode(points: QueuedPoint[], origins: number[], sizes: number[], bytes: number, ord: number) {
    const { bootId, runId } = this.identity;
    return [
      bootId,
      runId,
      this.identity.monoNow(),
      this.identity.wallNow(),
      ord,
      points.length,
      bytes,
      spoolJson(points),
      JSON.stringify(origins),
      JSON.stringify(sizes),
    ] as const;
  }

  private decode(row: Row): SpoolRow {
    const points = parseSpoolJson(row.points);
    if (row.boot !== this.identity.bootId) {
      // Monotonic stamps from another boot mean nothing now: use the wall clock of that boot, and say so.
      for (const point of points) {
        if (!point.mono) continue;
        point.timestamp = Math.round(row.wall - (row.mono - point.timestamp));
        point.mono = undefined;
        point.tags = { ...point.tags, clock: "unsynced" };
      }
    }
    const thisRun = row.run === this.identity.runId;
    const origins = thisRun ? (JSON.parse(row.origins) as number[]) : new Array<number>(row.count).fill(0);
    // Rows of earlier runs are older than anything enqueued now, and ordered among themselves by id.
    const ord = thisRun ? row.ord : -(2 ** 50) + row.id * 100_000;
    return { id: row.id, points, origins, sizes: JSON.parse(row.sizes) as number[], bytes: row.bytes, ord };
  }
}
