/**
 * Wave-1 spools were SQLite databases (`<source>.db`, WAL). At the first start of this version
 * their rows are copied, in order, into the segment log as records of an earlier run, synced, and
 * the database is deleted: replayed once. A crash between the copy and the delete replays those
 * rows twice (duplicates, never loss). A corrupt database is moved aside, as before.
 *
 * better-sqlite3 is not a dependency (it may compile at install): loaded only when such a database
 * exists, so a new install needs no compiler for it and a bridge never loads SQLite just to find
 * nothing to migrate; an upgraded gateway with a wave-1 spool is told the command that adds it.
 */
import { existsSync, renameSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import { installHint } from "../install-hint.js";
import type { Logger } from "../log.js";
import { parseSpoolJson } from "./point-json.js";
import { encodeRecord } from "./spool-record.js";

const WAVE1_FORMAT = 1;
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;
const BATCH_ROWS = 64;

type Row = { boot: string; run: string; mono: number; wall: number; points: string; origins: string; sizes: string };

export function migrateSqliteSpool(path: string, write: (records: Buffer[]) => void, log: Logger): void {
  if (!existsSync(path)) return;
  let open: typeof Database;
  try {
    open = createRequire(import.meta.url)("better-sqlite3");
  } catch (error) {
    log.error(
      `spool: ${path} holds points queued before the upgrade from the SQLite spool, and better-sqlite3 is not installed (${(error as Error).message.split("\n")[0]}); ` +
        `install it (\`${installHint("better-sqlite3@12")}\`; it compiles a native module where no prebuilt one fits: g++, make, python3) and restart to replay them; the file stays where it is`,
    );
    return;
  }
  let db: Database.Database | undefined;
  let copied = 0;
  try {
    db = new open(path);
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
