/**
 * The durable part of a source's queue: an append-only log of segment files, each a sequence of
 * CRC-checked records (spool-record.ts). The queue appends records (write-behind), marks points of
 * a record done in place as they are acknowledged, and a segment whose records are all done is
 * deleted: disk space comes back by unlinking files, which a full disk never refuses, and nothing
 * grows back (no WAL, no compaction).
 *
 * Records are never rewritten and a new run never appends to an old segment, so a torn tail (a
 * crash or power cut in the middle of a write) is only ever at the end of a segment: it is found,
 * counted, logged and cut off at the next start.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
  writeSync,
  writevSync,
} from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { QueuedPoint } from "./batch-source.js";
import { DEFAULT_DISK_RESERVE, type DiskReserve, freeAbove } from "./disk-reserve.js";
import { migrateSqliteSpool } from "./spool-migrate.js";
import {
  CorruptRecordError,
  DONE_OFFSET,
  decodeBody,
  doneField,
  encodeRecord,
  HEADER_BYTES,
  type RecordBody,
  readHeader,
} from "./spool-record.js";

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
  /** A new segment file is started past this size (default 8 MiB). */
  segmentBytes?: number;
  /** A wave-1 SQLite spool to replay once: its rows are copied into the log, then it is deleted. */
  legacyDb?: string;
  /** The limits from the start (the queue sets them too): the migration keeps to them. */
  limits?: SpoolLimits;
}

/** Set by the queue from its options (`spool_max_bytes`, `disk_reserve`, `durability`). */
export interface SpoolLimits {
  /** Appends stop at this many bytes of segment files. */
  maxBytes: number;
  /** Free space the spool never writes into, on its filesystem. */
  reserve: DiskReserve;
  /**
   * `durability: always`: the queue syncs appends with syncAsync() before it sends their points;
   * the spool syncs what it must on its own (a sealed segment, a new segment's folder entry).
   */
  syncEveryWrite: boolean;
}

interface Segment {
  seq: number;
  path: string;
  fd: number;
  size: number;
  /** Records not yet all done. */
  live: number;
  active: boolean;
}

/** Where a record is; `done` is what its header says on disk. */
export interface SpoolRecord {
  segment: Segment;
  offset: number;
  count: number;
  done: number;
}

export interface RecordInput {
  points: readonly QueuedPoint[];
  origins: readonly number[];
  sizes: readonly number[];
  done: number;
}

export type NoRoom = "spool_max_bytes" | "disk reserve";

const SEGMENT_BYTES = 8 * 1024 * 1024;

function syncFolder(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
const segmentName = (seq: number) => `${String(seq).padStart(12, "0")}.seg`;

export class Spool {
  /** Records left by earlier runs with points not done, oldest first. */
  readonly recovered: SpoolRecord[] = [];
  /** Torn or corrupt tails cut off at open. */
  tornTails = 0;
  private readonly segments = new Map<number, Segment>();
  private active: Segment | undefined;
  private nextSeq = 1;
  private _bytes = 0;
  private _points = 0;
  limits: SpoolLimits = { maxBytes: Number.POSITIVE_INFINITY, reserve: DEFAULT_DISK_RESERVE, syncEveryWrite: false };

  constructor(
    readonly dir: string,
    private readonly identity: SpoolIdentity,
    private readonly log: Logger,
    private readonly options: SpoolOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    if (options.limits) this.limits = options.limits;
    this.scan();
    if (options.legacyDb) migrateSqliteSpool(options.legacyDb, (records) => this.appendUnchecked(records), log);
  }

  /** Bytes of segment files. */
  get bytes(): number {
    return this._bytes;
  }
  /** Points in records not yet done. */
  get points(): number {
    return this._points;
  }

  /** Why `bytes` more cannot be appended now, or undefined when they can. */
  noRoom(bytes: number): NoRoom | undefined {
    if (this._bytes + bytes > this.limits.maxBytes) return "spool_max_bytes";
    if (freeAbove(this.dir, this.limits.reserve) < bytes) return "disk reserve";
    return undefined;
  }

  /**
   * Appends as many records as fit (spool_max_bytes, the disk reserve), in order, in one write;
   * returns where they went (a prefix of `inputs`). Throws on an I/O error, after cutting off what
   * it may have half-written, so the segment stays clean.
   */
  append(inputs: readonly RecordInput[]): SpoolRecord[] {
    const meta = { b: this.identity.bootId, r: this.identity.runId, m: this.identity.monoNow(), w: this.identity.wallNow() };
    const buffers: Buffer[] = [];
    let total = 0;
    for (const input of inputs) {
      const buffer = encodeRecord(meta, input.points, input.origins, input.sizes, input.done);
      if (this.noRoom(total + buffer.length)) break;
      buffers.push(buffer);
      total += buffer.length;
    }
    return this.write(buffers, inputs);
  }

  /** Migration: records written as they are (within the limits), replayed like those of an earlier run. */
  private appendUnchecked(records: Buffer[]): void {
    let total = 0;
    for (const record of records) total += record.length;
    // The reserve holds for the copy too; the database stays for a later start.
    const full = this.noRoom(total);
    if (full) throw Object.assign(new Error(`no room to copy it (${full})`), { code: "ENOSPC" });
    this.recovered.push(...this.write(records, []));
    this.sync();
  }

  private write(buffers: Buffer[], inputs: readonly RecordInput[]): SpoolRecord[] {
    if (buffers.length === 0) return [];
    let total = 0;
    for (const buffer of buffers) total += buffer.length;
    const segment = this.segmentFor(total);
    try {
      const written = writevSync(segment.fd, buffers, segment.size);
      if (written !== total) throw Object.assign(new Error(`short write (${written} of ${total} bytes)`), { code: "EIO" });
    } catch (error) {
      try {
        ftruncateSync(segment.fd, segment.size);
      } catch {
        this.seal(segment); // cannot cut the tail off: never append after it (the next start will)
      }
      throw error;
    }
    const records: SpoolRecord[] = [];
    let offset = segment.size;
    for (let i = 0; i < buffers.length; i++) {
      const header = readHeader(buffers[i])!;
      records.push({ segment, offset, count: header.count, done: inputs[i]?.done ?? header.done });
      this._points += header.count - header.done;
      offset += buffers[i].length;
      segment.live++;
    }
    segment.size += total;
    this._bytes += total;
    return records;
  }

  /** Records that `done` leading points of the record are acknowledged or dropped (in place, no new space). */
  markDone(record: SpoolRecord, done: number): void {
    if (done <= record.done) return;
    const { segment } = record;
    if (segment.fd >= 0) writeSync(segment.fd, doneField(done), 0, 8, record.offset + DONE_OFFSET);
    this._points -= done - record.done;
    record.done = done;
    if (done === record.count && --segment.live === 0 && !segment.active) this.remove(segment);
  }

  /** Reads a record back (points given monotonic stamps of another boot are mapped to wall time). */
  load(record: SpoolRecord): RecordBody {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    readSync(record.segment.fd, header, 0, HEADER_BYTES, record.offset);
    const parsed = readHeader(header);
    if (!parsed) throw new CorruptRecordError("record header unreadable");
    const body = Buffer.allocUnsafe(parsed.bodyLength);
    readSync(record.segment.fd, body, 0, parsed.bodyLength, record.offset + HEADER_BYTES);
    const decoded = decodeBody(parsed, body);
    const { meta } = decoded;
    if (meta.b !== this.identity.bootId) {
      // Monotonic stamps from another boot mean nothing now: use the wall clock of that boot, and say so.
      for (const point of decoded.points) {
        if (!point.mono) continue;
        point.timestamp = Math.round(meta.w - (meta.m - point.timestamp));
        point.mono = undefined;
        point.tags = { ...point.tags, clock: "unsynced" };
      }
    }
    if (meta.r !== this.identity.runId) decoded.origins = new Array<number>(decoded.points.length).fill(0);
    return decoded;
  }

  /** Syncs what was appended to the device. */
  sync(): void {
    if (this.active) fdatasyncSync(this.active.fd);
  }

  /**
   * The same off the event loop (libuv's thread pool): an fdatasync on an SD card can take tens
   * of milliseconds, which a UDP socket sharing the thread cannot wait for. Earlier segments were
   * synced when they were sealed.
   */
  syncAsync(done: (error: NodeJS.ErrnoException | null) => void): void {
    if (!this.active) {
      done(null);
      return;
    }
    // The segment may be sealed and deleted (all done) while the sync runs: nothing left to sync then.
    fdatasync(this.active.fd, (error) => done(error?.code === "EBADF" ? null : error));
  }

  close(): void {
    // A clean stop leaves no segment whose points are all done.
    if (this.active) this.seal(this.active);
    for (const segment of this.segments.values()) {
      try {
        closeSync(segment.fd);
      } catch {}
      segment.fd = -1;
    }
    this.segments.clear();
    this.active = undefined;
  }

  private segmentFor(bytes: number): Segment {
    const limit = this.options.segmentBytes ?? SEGMENT_BYTES;
    if (this.active && this.active.size > 0 && this.active.size + bytes > limit) this.seal(this.active);
    if (!this.active) {
      const seq = this.nextSeq++;
      const path = join(this.dir, segmentName(seq));
      const segment: Segment = { seq, path, fd: openSync(path, "wx+"), size: 0, live: 0, active: true };
      // A power cut must not lose the new file's name either: sync the folder (`always` only).
      if (this.limits.syncEveryWrite) syncFolder(this.dir);
      this.segments.set(seq, segment);
      this.active = segment;
    }
    return this.active;
  }

  private seal(segment: Segment): void {
    if (this.limits.syncEveryWrite && segment.live > 0) fdatasyncSync(segment.fd);
    segment.active = false;
    if (this.active === segment) this.active = undefined;
    if (segment.live === 0) this.remove(segment);
  }

  private remove(segment: Segment): void {
    this.segments.delete(segment.seq);
    this._bytes -= segment.size;
    try {
      closeSync(segment.fd);
    } catch {}
    segment.fd = -1;
    try {
      unlinkSync(segment.path);
    } catch (error) {
      this.log.warn(`spool: cannot delete ${segment.path} (${(error as Error).message}); its points are all done and will not be replayed`);
    }
  }

  /** Reads the headers of every segment left by earlier runs; cuts off torn tails. */
  private scan(): void {
    const seqs = readdirSync(this.dir)
      .filter((name) => /^\d{12}\.seg$/.test(name))
      .map((name) => Number(name.slice(0, 12)))
      .sort((a, b) => a - b);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    for (const seq of seqs) {
      this.nextSeq = seq + 1;
      const path = join(this.dir, segmentName(seq));
      const fd = openSync(path, "r+");
      const size = fstatSync(fd).size;
      const segment: Segment = { seq, path, fd, size, live: 0, active: false };
      this.segments.set(seq, segment);
      this._bytes += size;
      let offset = 0;
      while (offset < size) {
        const got = readSync(fd, header, 0, HEADER_BYTES, offset);
        const parsed = got === HEADER_BYTES ? readHeader(header) : undefined;
        if (!parsed || offset + HEADER_BYTES + parsed.bodyLength > size) {
          this.cutTail(segment, offset);
          break;
        }
        if (parsed.done < parsed.count) {
          this.recovered.push({ segment, offset, count: parsed.count, done: parsed.done });
          this._points += parsed.count - parsed.done;
          segment.live++;
        }
        offset += HEADER_BYTES + parsed.bodyLength;
      }
      if (segment.live === 0) this.remove(segment);
    }
  }

  private cutTail(segment: Segment, offset: number): void {
    this.tornTails++;
    this.log.warn(
      `spool: ${segment.path} has a torn or corrupt record at byte ${offset}; skipping its last ${segment.size - offset} bytes (a crash or power cut during a write)`,
    );
    try {
      ftruncateSync(segment.fd, offset);
      this._bytes -= segment.size - offset;
      segment.size = offset;
    } catch {}
  }
}
