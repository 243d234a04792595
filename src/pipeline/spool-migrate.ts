/**
 * Wave-1 spools were SQLite databases (`<source>.db`, WAL). At the first start of this version
 * their rows are copied, in order, into the segment log as records of an earlier run, synced, and
 * the database is deleted: replayed once. A crash between the copy and the delete replays those
 * rows twice (duplicates, never loss). A corrupt database is moved aside, as before.
 */
import { existsSync, renameSync, unlinkSync } from "node:fs";
import Database from "better-sqlite3";
import type { Logger } from "../log.js";
import { parseSpoolJson } from "./point-json.js";
import { encodeRecord } from "./spool-record.js";

const WAVE1_FORMAT = 1;
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;
const BATCH_ROWS = 64;

type Row = { boot: string; run: string; mono: number; wall: number; points: string; origins: string; sizes: string };

export function migrateSqliteSpool(path: string, write: (records: Buffer[]) => void, log: Logger): void {
  if (!existsSync(path)) return;
  let db: Database.Database | undefined;
  let copied = 0;
  try {
    db = new Database(path);
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version !== WAVE1_FORMAT)
      throw Object.assign(new Error(`spool format ${version}, expected ${WAVE1_FORMAT}`), { code: "SQLITE_NOTADB" });
    let batch: Buffer[] = [];
    for (const row of db
      .prepare("SELECT boot, run, mono, wall, points, origins, sizes FROM rows ORDER BY id")
      .iterate() as IterableIterator<Row>) {
      const points = parseSpoolJson(row.points);
      const meta = { b: row.boot, r: row.run, m: row.mono, w: row.wall };
      // Origins of another run mean nothing: every replayed point counts under "(spool)".
      batch.push(encodeRecord(meta, points, new Array<number>(points.length).fill(0), JSON.parse(row.sizes) as number[], 0));
      copied += points.length;
      if (batch.length >= BATCH_ROWS) {
        write(batch);
        batch = [];
      }
    }
    write(batch);
    db.close();
    db = undefined;
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(path + suffix)) unlinkSync(path + suffix);
    log.info(`spool: migrated ${copied} points from the SQLite spool ${path} into the segment log (replayed once)`);
  } catch (error) {
    try {
      db?.close();
    } catch {}
    const code = String((error as { code?: unknown }).code);
    if (!CORRUPT.test(code)) {
      // A full disk or a permission problem: the database stays for the next start to try again.
      // What was copied before the failure is replayed now and again then: duplicates, never loss.
      log.error(`spool: cannot migrate ${path} (${(error as Error).message}); it stays where it is and is tried again at the next start`);
      return;
    }
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    log.error(`spool ${path} is unreadable (${(error as Error).message}); moved aside to ${aside}, starting with an empty spool`);
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
}
