/**
 * The queue's side of the spool: writes chunks behind (in order, in slices so one tick never
 * holds the event loop for long), marks acknowledged points done, reads evicted chunks back, and
 * survives a full or failing disk: it logs once, keeps the points in memory, and tries again.
 */
import type { Logger } from "../log.js";
import { type Chunk, DONE } from "./chunk.js";
import { type DiskReserve, describeReserve, parseDiskReserve } from "./disk-reserve.js";
import type { QueueOptions } from "./queue-options.js";
import type { NoRoom, Spool, SpoolLimits, SpoolRecord } from "./spool.js";
import { CorruptRecordError } from "./spool-record.js";

/**
 * Points encoded per synchronous slice (about 2–4 ms of work): a burst larger than this is
 * written over several turns of the event loop, so UDP sockets sharing the thread are still read.
 */
const SLICE_POINTS = 8192;
/** After a failed spool write or read (an I/O error, a read-only disk), memory alone serves this long. */
const RETRY_MS = 1000;

/** What the queue's options ask of its spool. */
export function spoolLimits(options: QueueOptions): SpoolLimits {
  return {
    maxBytes: options.spool_max_bytes,
    reserve: parseDiskReserve(options.disk_reserve),
    syncEveryWrite: options.durability === "always",
  };
}

export interface SpoolStats {
  /** Bytes of segment files on disk. */
  bytes: number;
  /** Points on disk not yet acknowledged (what a start now would replay). */
  points: number;
  /** Why the spool takes no more now ("spool_max_bytes", "disk reserve", "write failed"), if it does not. */
  full?: string;
  /** Torn or corrupt segment tails cut off at the start. */
  torn_tails: number;
}

export class QueueSpooler {
  /** Chunks with a lower seq are written (or were finished before they were due). */
  private nextSeq = 0;
  private failedUntil = 0;
  private full: NoRoom | undefined;
  private readonly dirty = new Set<Chunk>();
  private sliceScheduled = false;
  private closed = false;
  /** `always`: chunks with a lower seq are synced to the device and may be sent. */
  private syncedSeq = 0;
  private syncing = false;
  private syncAgain = false;
  private readonly syncWaiters: { seq: number; resolve: () => void }[] = [];
  /** `always`: points are sent only once synced. */
  readonly syncBeforeSend: boolean;
  /** Called when more chunks became sendable (a sync completed, or the spool gave up). */
  onSendable: () => void = () => {};

  private readonly reserve: DiskReserve;

  constructor(
    readonly spool: Spool,
    private readonly log: Logger,
    options: QueueOptions,
  ) {
    spool.limits = spoolLimits(options);
    this.reserve = spool.limits.reserve;
    this.syncBeforeSend = options.durability === "always";
  }

  /** The spool can take more now (as far as the last attempt knows). */
  get hasRoom(): boolean {
    return this.usable() && this.full === undefined;
  }

  stats(): SpoolStats {
    const full = !this.usable() ? "write failed" : this.full;
    return { bytes: this.spool.bytes, points: this.spool.points, full, torn_tails: this.spool.tornTails };
  }

  /** Chunks of earlier runs (seq below `count`) are on disk already. */
  recovered(count: number): void {
    this.nextSeq = this.syncedSeq = count;
  }

  /**
   * May the points of this chunk be sent? Always, except under `always` before they are synced.
   * A spool that cannot take them (full, failing) does not hold them back: they go from memory.
   */
  sendable(chunk: Chunk): boolean {
    return !this.syncBeforeSend || chunk.seq < this.syncedSeq || !this.hasRoom;
  }

  /** Resolves once every chunk so far is written (and, under `always`, synced) or the spool cannot take it. */
  settled(chunks: Chunk[]): Promise<void> {
    this.writeBehind(chunks, true);
    const target = this.nextSeq;
    if (!this.syncBeforeSend || !this.hasRoom || target <= this.syncedSeq) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push({ seq: target, resolve }));
  }

  /** Writes the chunks not yet on disk, oldest first; `all` does it now, else one slice per turn of the event loop. */
  writeBehind(chunks: Chunk[], all: boolean): void {
    if (this.closed || !this.usable() || chunks.length === 0) return;
    if (this.full && !this.spool.noRoom(1)) this.roomAgain();
    let index = Math.max(0, this.nextSeq - chunks[0].seq);
    while (index < chunks.length) {
      const slice: Chunk[] = [];
      let points = 0;
      let end = index;
      for (; end < chunks.length && points < SLICE_POINTS; end++) {
        const chunk = chunks[end];
        if (chunk.record) continue;
        chunk.sealed = true;
        if (chunk.finished) continue;
        slice.push(chunk);
        points += chunk.count - chunk.prefix;
      }
      let records: SpoolRecord[] = [];
      const inputs = slice.map((c) => ({ points: c.points!, origins: c.origins!, sizes: c.sizes!, done: c.prefix }));
      if (slice.length > 0 && !this.io("write", () => (records = this.spool.append(inputs)))) return;
      for (let i = 0; i < records.length; i++) slice[i].record = records[i];
      if (records.length < slice.length) {
        this.nextSeq = slice[records.length].seq;
        this.noRoom(this.spool.noRoom(inputs[records.length].points.length * 64) ?? "disk reserve");
        return;
      }
      this.nextSeq = chunks[end - 1].seq + 1;
      if (slice.length > 0) this.roomAgain();
      if (this.syncBeforeSend) this.startSync();
      index = end;
      if (!all && index < chunks.length) {
        this.scheduleSlice(chunks);
        return;
      }
    }
  }

  /** Records a chunk's done prefix in its spool record (in place: works on a full disk too). */
  markDone(chunk: Chunk): void {
    if (!chunk.record || chunk.record.done >= chunk.prefix) return;
    try {
      this.spool.markDone(chunk.record, chunk.prefix);
      this.dirty.delete(chunk);
    } catch (error) {
      if (this.dirty.size === 0) this.log.error(`spool: cannot mark acknowledged points done (${(error as Error).message}); retrying`);
      this.dirty.add(chunk);
    }
  }

  retryMarks(): void {
    for (const chunk of [...this.dirty]) this.markDone(chunk);
  }

  /** Reads an evicted chunk back. "retry": not now (the disk failed); "corrupt": its points are lost, count them. */
  reload(chunk: Chunk): "ok" | "corrupt" | "retry" {
    if (!this.usable()) return "retry";
    try {
      const body = this.spool.load(chunk.record!);
      chunk.reload(body.points, body.origins, body.sizes);
      return "ok";
    } catch (error) {
      if (error instanceof CorruptRecordError || error instanceof SyntaxError) {
        this.log.error(`spool: a record of ${chunk.count - chunk.prefix} points is corrupt (${error.message}); dropped and counted`);
        return "corrupt";
      }
      this.io("read", () => {
        throw error;
      });
      return "retry";
    }
  }

  /**
   * Shutdown: one last try at everything, even if the spool failed a moment ago. Chunks with
   * points done out of order are written again without them (the old record marked done), so
   * nothing acknowledged is replayed. Returns the drop reason for what could not be written.
   */
  closeOut(chunks: Chunk[]): string {
    this.failedUntil = 0;
    this.retryMarks();
    this.writeBehind(chunks, true);
    let rewritten = 0;
    for (const chunk of chunks) {
      if (!chunk.record || !chunk.loaded || chunk.finished || chunk.done === chunk.prefix) continue;
      const keep: number[] = [];
      for (let i = chunk.prefix; i < chunk.count; i++) if (chunk.state![i] !== DONE) keep.push(i);
      const input = {
        points: keep.map((i) => chunk.points![i]),
        origins: keep.map((i) => chunk.origins![i]),
        sizes: keep.map((i) => chunk.sizes![i]),
        done: 0,
      };
      let records: SpoolRecord[] = [];
      if (!this.io("write", () => (records = this.spool.append([input]))) || records.length === 0) break;
      this.spool.markDone(chunk.record, chunk.count);
      chunk.record = records[0];
      rewritten += keep.length;
    }
    if (this.dirty.size > 0) {
      let stale = 0;
      for (const chunk of this.dirty) stale += chunk.prefix - chunk.record!.done;
      this.log.warn(`spool: ${stale} acknowledged points could not be marked done on disk; the next start sends them again`);
    }
    if (rewritten > 0) this.log.debug(`spool: rewrote ${rewritten} points of partly acknowledged records`);
    return !this.usable() ? "shutdown: spool write failed" : "shutdown: spool full";
  }

  close(): void {
    this.closed = true;
    this.settleWaiters();
    this.spool.close();
  }

  /** One fdatasync at a time, off the event loop; what was written meanwhile waits for the next. */
  private startSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    const target = this.nextSeq;
    if (target <= this.syncedSeq || this.closed) return;
    this.syncing = true;
    this.spool.syncAsync((error) => {
      this.syncing = false;
      if (error) {
        this.io("sync", () => {
          throw error;
        });
      } else {
        this.syncedSeq = Math.max(this.syncedSeq, target);
      }
      this.settleWaiters();
      this.onSendable();
      if (this.syncAgain) {
        this.syncAgain = false;
        this.startSync();
      }
    });
  }

  /** Under `always`, chunks waiting for a sync go from memory once the spool cannot take them. */
  private sendableChanged(): void {
    if (!this.syncBeforeSend) return;
    queueMicrotask(() => {
      this.settleWaiters();
      this.onSendable();
    });
  }

  /** Writes behind on the next turn of the event loop (`always`: soon after points arrive, not at the next tick). */
  writeSoon(chunks: Chunk[]): void {
    this.scheduleSlice(chunks);
  }

  private settleWaiters(): void {
    for (let i = this.syncWaiters.length - 1; i >= 0; i--) {
      if (this.syncWaiters[i].seq <= this.syncedSeq || !this.hasRoom || this.closed) this.syncWaiters.splice(i, 1)[0].resolve();
    }
  }

  private usable(): boolean {
    return this.failedUntil === 0 || performance.now() >= this.failedUntil;
  }

  private scheduleSlice(chunks: Chunk[]): void {
    if (this.sliceScheduled) return;
    this.sliceScheduled = true;
    setImmediate(() => {
      this.sliceScheduled = false;
      this.writeBehind(chunks, false);
    });
  }

  private noRoom(reason: NoRoom): void {
    if (this.full === reason) return;
    this.full = reason;
    this.sendableChanged();
    const why =
      reason === "disk reserve"
        ? `the free-space reserve (disk_reserve: ${describeReserve(this.reserve)}) on the filesystem of ${this.spool.dir} is reached`
        : `it holds spool_max_bytes (${this.spool.bytes} bytes)`;
    this.log.warn(`spool full: ${why}; newer points are kept in memory only until space returns`);
  }

  private roomAgain(): void {
    if (this.full === undefined) return;
    this.full = undefined;
    this.log.info("spool writable again");
  }

  /**
   * Runs spool I/O. A failure (ENOSPC despite the reserve, a read-only or failing disk) must not
   * take the bridge down: it is logged, the spool rests for a while, and the queue goes on in memory.
   */
  private io(what: string, work: () => void): boolean {
    try {
      work();
      if (this.failedUntil !== 0) {
        this.failedUntil = 0;
        this.log.info("spool writable again");
      }
      return true;
    } catch (error) {
      if (this.failedUntil === 0) {
        const code = (error as { code?: unknown }).code;
        this.log.error(
          `spool ${what} failed (${typeof code === "string" ? `${code}: ` : ""}${(error as Error).message}); queueing in memory only, retrying in ${RETRY_MS / 1000} s`,
        );
      }
      this.failedUntil = performance.now() + RETRY_MS;
      this.sendableChanged();
      return false;
    }
  }
}
