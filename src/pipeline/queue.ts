/**
 * One source's queue: memory first, a SQLite spool behind it. Order is
 *   staging (given back, or loaded from the spool) → spool rows not yet loaded → memory
 * and batches are taken from the head. A batch leaves only when acknowledged; one given back
 * returns to the head in the order it was taken. See DESIGN.md "The queue".
 */
import type { Logger } from "../log.js";
import type { Batch, BatchSource, QueuedPoint } from "./batch-source.js";
import type { QueueOptions } from "./queue-options.js";
import type { Spool, SpoolRow } from "./spool.js";
import { addReason, type PointCounters } from "./stats.js";

/**
 * A run of consecutive points. `rows` (per point) or `row` (all) name the spool row that holds
 * them; 0 = memory only. Ordinals (`ords` per point, or `ord + index`) give every point its place
 * in the queue's order, so a batch given back returns exactly where it was.
 */
interface Segment {
  points: QueuedPoint[];
  origins: number[];
  sizes: number[];
  pos: number;
  row: number;
  rows?: number[];
  ord: number;
  ords?: number[];
}

const ordinalAt = (segment: Segment, index: number) => (segment.ords ? segment.ords[index] : segment.ord + index);

function sum(sizes: readonly number[]): number {
  let total = 0;
  for (const size of sizes) total += size;
  return total;
}

class QueueBatch implements Batch {
  constructor(
    readonly seq: number,
    readonly points: QueuedPoint[],
    public bytes: number,
    readonly origins: number[],
    readonly sizes: number[],
    readonly rows: number[],
    readonly ords: number[],
  ) {}
}

export interface QueueAccounting {
  source: PointCounters;
  /** Indexed by origin (adapter index); 0 is "spool" (points recovered from an earlier run). */
  adapters: PointCounters[];
}

const SPILL_INTERVAL_MS = 100;
const SPOOL_ROW_POINTS = 2000;
const BLOCK_GRACE = 2;
/** After a failed spool write (disk full, read-only, I/O error), memory alone serves this long before the next try. */
const SPOOL_RETRY_MS = 10_000;

export class SourceQueue implements BatchSource {
  private staging: Segment[] = [];
  private memory: Segment[] = [];
  private readonly inflight = new Set<QueueBatch>();
  /** Spool rows whose points are in staging or in flight: deleted when all are acknowledged. */
  private readonly loadedRows = new Map<number, { remaining: number; count: number; bytes: number }>();
  private spoolCursor = Number.NEGATIVE_INFINITY;
  /** Points of the spool rows in loadedRows (whole rows, acknowledged or not). */
  private loadedRowPoints = 0;
  private memPoints = 0;
  private memBytes = 0;
  private seq = 0;
  /** Ordinal of the next point enqueued in this run. */
  private nextOrd = 0;
  private uplinkUp = false;
  private readonly waiters = new Set<() => void>();
  private drainWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly highPoints: number;
  private readonly highBytes: number;
  /** Until when (monotonic ms) the spool is not used after a failed write; 0 = usable. */
  private spoolFailedUntil = 0;
  /** Fully acknowledged spool rows whose delete failed: retried, never counted again. */
  private undeleted: { id: number; count: number; bytes: number }[] = [];

  constructor(
    readonly sourceId: string,
    private readonly options: QueueOptions,
    private readonly accounting: QueueAccounting,
    private readonly log: Logger,
    private readonly spool?: Spool,
  ) {
    this.highPoints = options.memory_max_points * options.high_water;
    this.highBytes = options.memory_max_bytes * options.high_water;
    if (spool && options.durability !== "memory") {
      this.timer = setInterval(() => this.spillIfDue(), SPILL_INTERVAL_MS);
      this.timer.unref();
      if (spool.points > 0) this.recover(spool.points);
    }
  }

  get pending(): number {
    return this.accounting.source.pending;
  }

  /** Points held in process memory (including in flight). */
  get inMemory(): number {
    return this.memPoints;
  }

  /** What the queue holds now: in process memory (including in flight) and in the spool file. */
  depth(): { memory_points: number; memory_bytes: number; spool_points: number; spool_bytes: number } {
    return {
      memory_points: this.memPoints,
      memory_bytes: this.memBytes,
      spool_points: this.spool?.points ?? 0,
      spool_bytes: this.spool?.bytes ?? 0,
    };
  }

  /** True while producers should slow down. */
  get overHighWater(): boolean {
    if (this.memPoints >= this.highPoints || this.memBytes >= this.highBytes) {
      // With a spool that has room, high memory is relieved by spilling, not by the producers.
      return !this.spoolHasRoom() || this.options.durability === "memory";
    }
    return this.options.when_full === "block" && this.spool !== undefined && !this.spoolHasRoom();
  }

  /** Adds validated points of one adapter. Returns false when over the high-water mark. */
  enqueue(points: QueuedPoint[], sizes: number[], bytes: number, origin: number): boolean {
    const n = points.length;
    if (n === 0) return !this.overHighWater;
    this.count(origin, n, "received");
    if (this.memPoints + n > this.options.memory_max_points || this.memBytes + bytes > this.options.memory_max_bytes) {
      if (!this.makeRoom(n, bytes)) {
        this.dropIncoming(origin, n);
        return false;
      }
    }
    this.memory.push({ points, origins: new Array<number>(n).fill(origin), sizes, pos: 0, row: 0, ord: this.nextOrd });
    this.nextOrd += n;
    this.memPoints += n;
    this.memBytes += bytes;
    this.count(origin, n, "pending");
    if (this.memPoints >= this.highPoints && this.options.durability !== "memory") this.spillOldest();
    this.wake();
    return !this.overHighWater;
  }

  take(maxPoints: number, maxBytes: number): Batch | undefined {
    if (this.options.durability === "always") this.persistMemory();
    // First find the runs of segments the batch is made of, then copy them into arrays of the
    // exact size: growing five arrays point by point was a third of the bridge's garbage.
    const runs: { segment: Segment; from: number; to: number }[] = [];
    let count = 0;
    let bytes = 0;
    while (count < maxPoints) {
      const segment = this.headSegment();
      if (!segment) break;
      let end = segment.pos;
      const limit = Math.min(segment.points.length, segment.pos + maxPoints - count);
      while (end < limit && (bytes + segment.sizes[end] <= maxBytes || (count === 0 && end === segment.pos))) {
        bytes += segment.sizes[end];
        end++;
      }
      if (end === segment.pos) break;
      runs.push({ segment, from: segment.pos, to: end });
      count += end - segment.pos;
      segment.pos = end;
      if (segment.pos === segment.points.length) this.shiftHead(segment);
      if (end < limit) break; // the byte limit was reached
      // Points after a given-back segment may have neighbours still in flight: a batch must stay
      // a contiguous run of the queue's order, so it ends with the segment.
      if (segment.ords) break;
    }
    if (count === 0) return undefined;
    const points = new Array<QueuedPoint>(count);
    const origins = new Array<number>(count);
    const sizes = new Array<number>(count);
    const rows = new Array<number>(count);
    const ords = new Array<number>(count);
    let k = 0;
    for (const { segment, from, to } of runs) {
      for (let i = from; i < to; i++, k++) {
        points[k] = segment.points[i];
        origins[k] = segment.origins[i];
        sizes[k] = segment.sizes[i];
        rows[k] = segment.rows ? segment.rows[i] : segment.row;
        ords[k] = ordinalAt(segment, i);
      }
    }
    const batch = new QueueBatch(++this.seq, points, bytes, origins, sizes, rows, ords);
    this.inflight.add(batch);
    return batch;
  }

  ack(batch: Batch): void {
    const b = batch as QueueBatch;
    if (!this.inflight.delete(b)) return;
    for (let i = 0; i < b.points.length; i++) {
      const adapter = this.accounting.adapters[b.origins[i]];
      adapter.acknowledged++;
      adapter.pending--;
      if (b.rows[i] !== 0) this.releaseRowPoint(b.rows[i]);
    }
    const n = b.points.length;
    this.accounting.source.acknowledged += n;
    this.accounting.source.pending -= n;
    this.memPoints -= n;
    this.memBytes -= b.bytes;
    this.wakeDrained();
  }

  giveBack(batch: Batch): void {
    const b = batch as QueueBatch;
    if (!this.inflight.delete(b) || b.points.length === 0) return;
    const segment: Segment = { points: b.points, origins: b.origins, sizes: b.sizes, pos: 0, row: 0, rows: b.rows, ord: 0, ords: b.ords };
    // Batches are contiguous runs of the queue's order: the first ordinal says where this one goes.
    const first = b.ords[0];
    let index = 0;
    while (index < this.staging.length && ordinalAt(this.staging[index], this.staging[index].pos) < first) index++;
    this.staging.splice(index, 0, segment);
    this.wake();
  }

  quarantine(batch: Batch, index: number, reason: string): void {
    const b = batch as QueueBatch;
    if (!this.inflight.has(b) || index < 0 || index >= b.points.length) return;
    const origin = b.origins[index];
    const size = b.sizes[index];
    if (b.rows[index] !== 0) this.releaseRowPoint(b.rows[index]);
    for (const list of [b.points, b.origins, b.sizes, b.rows, b.ords] as unknown[][]) list.splice(index, 1);
    b.bytes -= size;
    this.memPoints--;
    this.memBytes -= size;
    // The uplink that found the point logs it (rate-limited); the queue only counts it.
    this.drop(origin, 1, reason, true);
  }

  onAvailable(listener: () => void): () => void {
    this.waiters.add(listener);
    if (this.hasWaiting()) queueMicrotask(() => this.wake());
    return () => this.waiters.delete(listener);
  }

  /** Resolves when producers may go on (below the high-water mark). */
  drained(): Promise<void> {
    if (!this.overHighWater) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  setUplinkUp(up: boolean): void {
    this.uplinkUp = up;
    if (!up) this.spillIfDue();
  }

  /** Shutdown: with a spool, everything not acknowledged goes to disk; without, it is counted as dropped. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const batch of [...this.inflight].sort((a, b) => a.seq - b.seq)) this.giveBack(batch);
    let reason = "shutdown with durability: memory";
    if (this.spool && this.options.durability !== "memory") {
      // One last try even if the spool failed a moment ago.
      this.spoolFailedUntil = 0;
      this.retryDeletes();
      this.spillStaging();
      this.spillMemory();
      reason = this.spoolUsable() ? "shutdown: spool full" : "shutdown: spool write failed";
    } else if (this.options.durability !== "memory") {
      reason = "shutdown: no spool";
    }
    // What is not on disk now is lost with the process: count it, so the identity still holds.
    for (const segment of [...this.staging, ...this.memory]) {
      for (let i = segment.pos; i < segment.points.length; i++) {
        if ((segment.rows ? segment.rows[i] : segment.row) === 0) this.drop(segment.origins[i], 1, reason, true);
      }
    }
    this.staging = [];
    this.memory = [];
    this.spool?.close();
    this.wakeDrained();
  }

  // ---- internals ----

  private hasWaiting(): boolean {
    return this.staging.length > 0 || this.memory.length > 0 || this.hasUnloadedRows();
  }

  private hasUnloadedRows(): boolean {
    return this.spool !== undefined && this.spoolUsable() && this.spool.points > this.loadedRowPoints;
  }

  private spoolUsable(): boolean {
    return this.spoolFailedUntil === 0 || performance.now() >= this.spoolFailedUntil;
  }

  /**
   * Runs spool I/O. A failure (SQLITE_FULL, a read-only or failing disk) must not take the
   * bridge down: it is logged, the spool rests for a while, and the queue goes on in memory.
   */
  private spoolIo(what: string, work: () => void): boolean {
    if (!this.spoolUsable()) return false;
    try {
      work();
      if (this.spoolFailedUntil !== 0) {
        this.spoolFailedUntil = 0;
        this.log.info("spool writable again");
      }
      return true;
    } catch (error) {
      if (this.spoolFailedUntil === 0) {
        const code = (error as { code?: unknown }).code;
        this.log.error(
          `spool ${what} failed (${typeof code === "string" ? `${code}: ` : ""}${(error as Error).message}); queueing in memory only, retrying in ${SPOOL_RETRY_MS / 1000} s`,
        );
      }
      this.spoolFailedUntil = performance.now() + SPOOL_RETRY_MS;
      return false;
    }
  }

  private headSegment(): Segment | undefined {
    if (this.staging.length > 0) return this.staging[0];
    if (this.spool && this.hasUnloadedRows() && this.loadRows()) return this.staging[0];
    return this.memory[0];
  }

  private shiftHead(segment: Segment): void {
    if (this.staging[0] === segment) this.staging.shift();
    else if (this.memory[0] === segment) this.memory.shift();
  }

  private loadRows(): boolean {
    let rows: SpoolRow[] = [];
    if (!this.spoolIo("read", () => (rows = this.spool!.read(this.spoolCursor, 4)))) return false;
    for (const row of rows) {
      this.spoolCursor = row.id;
      if (this.loadedRows.has(row.id)) continue;
      this.loadedRows.set(row.id, { remaining: row.points.length, count: row.points.length, bytes: row.bytes });
      this.loadedRowPoints += row.points.length;
      this.staging.push({ points: row.points, origins: row.origins, sizes: row.sizes, pos: 0, row: row.id, ord: row.ord });
      this.memPoints += row.points.length;
      this.memBytes += row.bytes;
    }
    return rows.length > 0;
  }

  private releaseRowPoint(rowId: number): void {
    const row = this.loadedRows.get(rowId);
    if (!row) return;
    if (--row.remaining === 0) this.deleteRow(rowId, row.count, row.bytes);
  }

  /** Deletes a fully acknowledged row; if the disk refuses, it stays loaded (never replayed or dropped here) and is retried. */
  private deleteRow(id: number, count: number, bytes: number): void {
    if (this.spoolIo("delete", () => this.spool!.delete(id, count, bytes))) {
      this.loadedRows.delete(id);
      this.loadedRowPoints -= count;
    } else {
      this.undeleted.push({ id, count, bytes });
    }
  }

  private retryDeletes(): void {
    if (this.undeleted.length === 0 || !this.spoolUsable()) return;
    for (const row of this.undeleted.splice(0)) this.deleteRow(row.id, row.count, row.bytes);
  }

  /** Points recovered from an earlier run count as received by origin 0 ("spool"). */
  private recover(points: number): void {
    this.count(0, points, "received");
    this.count(0, points, "pending");
    this.log.info(`replaying ${points} points (${this.spool!.bytes} bytes) spooled by an earlier run`);
  }

  private spoolHasRoom(): boolean {
    return this.spool !== undefined && this.spoolUsable() && this.spool.bytes < this.options.spool_max_bytes;
  }

  private spillIfDue(): void {
    if (!this.spool) return;
    this.retryDeletes();
    // Rows that waited while the spool was failing can be read again.
    if (this.waiters.size > 0 && this.hasWaiting()) this.wake();
    if (this.options.durability === "always") {
      this.persistMemory();
    } else if (!this.uplinkUp) {
      this.spillStaging();
      this.spillMemory();
    } else if (this.memPoints >= this.highPoints || this.memBytes >= this.highBytes) {
      this.spillOldest();
    }
  }

  /** Spills memory from the oldest until below half the high-water mark. */
  private spillOldest(): void {
    this.spillMemory(this.highPoints / 2);
  }

  /**
   * `durability: always`: writes memory segments to the spool and keeps them in memory, moved to
   * the end of staging as loaded rows, so taking them reads nothing back from disk.
   * The queue's state changes only once the transaction has committed: a failed write (a full
   * disk) leaves every point where it was.
   */
  private persistMemory(): void {
    if (!this.spool || this.memory.length === 0 || this.hasUnloadedRows()) {
      // Rows not yet loaded are older than memory: memory must queue behind them on disk.
      this.spillMemory();
      return;
    }
    const written: { segment: Segment; bytes: number }[] = [];
    const dropped: number[][] = [];
    const ok = this.spoolIo("write", () =>
      this.spool!.transaction(() => {
        for (const segment of this.memory) {
          if (!this.ensureSpoolRoom(dropped)) break;
          const points = segment.pos === 0 ? segment.points : segment.points.slice(segment.pos);
          const sizes = segment.pos === 0 ? segment.sizes : segment.sizes.slice(segment.pos);
          const origins = segment.pos === 0 ? segment.origins : segment.origins.slice(segment.pos);
          const bytes = sum(sizes);
          const ord = ordinalAt(segment, segment.pos);
          const id = this.spool!.append(points, origins, sizes, bytes, ord);
          written.push({ segment: { points, origins, sizes, pos: 0, row: id, ord }, bytes });
        }
      }),
    );
    if (!ok) return;
    this.countSpoolDrops(dropped);
    for (const { segment, bytes } of written) {
      this.memory.shift();
      this.spoolCursor = segment.row;
      this.loadedRows.set(segment.row, { remaining: segment.points.length, count: segment.points.length, bytes });
      this.loadedRowPoints += segment.points.length;
      this.staging.push(segment);
    }
  }

  /** Writes memory segments (oldest first) to the spool, as rows after everything spooled. */
  private spillMemory(downToPoints = 0): void {
    if (!this.spool || this.memory.length === 0) return;
    const written: { points: number; bytes: number }[] = [];
    const dropped: number[][] = [];
    const ok = this.spoolIo("write", () =>
      this.spool!.transaction(() => {
        let index = 0;
        let pos = this.memory[0].pos;
        let left = this.memPoints;
        while (index < this.memory.length && left > downToPoints) {
          if (!this.ensureSpoolRoom(dropped)) return;
          const segment = this.memory[index];
          const end = Math.min(segment.points.length, pos + SPOOL_ROW_POINTS);
          const points = segment.points.slice(pos, end);
          const sizes = segment.sizes.slice(pos, end);
          const bytes = sum(sizes);
          this.spool!.append(points, segment.origins.slice(pos, end), sizes, bytes, ordinalAt(segment, pos));
          written.push({ points: points.length, bytes });
          left -= points.length;
          pos = end;
          if (pos === segment.points.length && ++index < this.memory.length) pos = this.memory[index].pos;
        }
      }),
    );
    if (ok) {
      this.countSpoolDrops(dropped);
      // The same walk again, now that the rows are on disk.
      for (const { points, bytes } of written) {
        const segment = this.memory[0];
        segment.pos += points;
        if (segment.pos === segment.points.length) this.memory.shift();
        this.memPoints -= points;
        this.memBytes -= bytes;
      }
    }
    this.wakeDrained();
  }

  /** Memory-only staging (given back after a disconnect) goes ahead of every spooled row. */
  private spillStaging(): void {
    if (!this.spool) return;
    const memoryOnly = this.staging.filter((segment) => (segment.rows ? segment.rows.includes(0) : segment.row === 0));
    if (memoryOnly.length === 0) return;
    const written: { segment: Segment; keep: number[]; id: number; count: number; bytes: number }[] = [];
    const ok = this.spoolIo("write", () =>
      this.spool!.transaction(() => {
        for (const segment of memoryOnly.reverse()) {
          const keep: number[] = [];
          for (let i = segment.pos; i < segment.points.length; i++) {
            if ((segment.rows ? segment.rows[i] : segment.row) === 0) keep.push(i);
          }
          if (keep.length === 0) continue;
          const points = keep.map((i) => segment.points[i]);
          const sizes = keep.map((i) => segment.sizes[i]);
          const bytes = sum(sizes);
          const id = this.spool!.prepend(
            points,
            keep.map((i) => segment.origins[i]),
            sizes,
            bytes,
            ordinalAt(segment, keep[0]),
          );
          written.push({ segment, keep, id, count: points.length, bytes });
        }
      }),
    );
    if (!ok) return;
    for (const { segment, keep, id, count, bytes } of written) {
      this.loadedRows.set(id, { remaining: count, count, bytes });
      this.loadedRowPoints += count;
      const rows = segment.rows ?? new Array<number>(segment.points.length).fill(segment.row);
      for (const i of keep) rows[i] = id;
      segment.rows = rows;
    }
  }

  /**
   * Applies when_full to the spool (inside a spool transaction). False when nothing more can be
   * written. The origins of the points it deletes go to `dropped`, counted once the transaction commits.
   */
  private ensureSpoolRoom(dropped: number[][]): boolean {
    if (this.spoolHasRoom()) return true;
    if (this.options.when_full !== "drop_oldest" || !this.spoolUsable()) return false;
    while (!this.spoolHasRoom()) {
      const oldest = this.spool!.oldestRow();
      if (!oldest || this.loadedRows.has(oldest.id)) return false;
      const [row] = this.spool!.read(oldest.id - 1, 1);
      this.spool!.delete(oldest.id, oldest.count, oldest.bytes);
      dropped.push(row.origins);
    }
    return true;
  }

  private countSpoolDrops(dropped: number[][]): void {
    for (const origins of dropped) {
      for (const origin of origins) this.drop(origin, 1, "spool full (when_full: drop_oldest)", true);
      this.log.warn(`spool full: dropped the oldest ${origins.length} points`);
    }
  }

  /** Memory is full: spill, or apply when_full. False means the incoming points must be dropped. */
  private makeRoom(n: number, bytes: number): boolean {
    const fits = () => this.memPoints + n <= this.options.memory_max_points && this.memBytes + bytes <= this.options.memory_max_bytes;
    if (this.spool && this.options.durability !== "memory") {
      this.spillMemory();
      if (fits()) return true;
    }
    switch (this.options.when_full) {
      case "drop_newest":
        return false;
      case "block":
        // Producers were told to pause; what arrives anyway is held up to a grace, then dropped.
        return this.memPoints + n <= this.options.memory_max_points * BLOCK_GRACE;
      case "drop_oldest":
        while (!fits() && this.memory.length > 0) this.dropOldestMemory();
        return fits() || this.memory.length === 0;
    }
  }

  private dropOldestMemory(): void {
    const segment = this.memory[0];
    const end = Math.min(segment.points.length, segment.pos + 1000);
    for (let i = segment.pos; i < end; i++) {
      this.drop(segment.origins[i], 1, "queue full (when_full: drop_oldest)", true);
      this.memPoints--;
      this.memBytes -= segment.sizes[i];
    }
    segment.pos = end;
    if (segment.pos === segment.points.length) this.memory.shift();
  }

  private dropIncoming(origin: number, n: number): void {
    this.drop(origin, n, `queue full (when_full: ${this.options.when_full})`, false);
  }

  /** Counts a drop; `wasPending` when the points had been counted as pending. */
  private drop(origin: number, n: number, reason: string, wasPending: boolean): void {
    for (const counters of [this.accounting.source, this.accounting.adapters[origin]]) {
      addReason(counters.droppedReasons, reason, n);
      if (wasPending) counters.pending -= n;
    }
  }

  private count(origin: number, n: number, field: "received" | "pending"): void {
    this.accounting.source[field] += n;
    this.accounting.adapters[origin][field] += n;
  }

  private wake(): void {
    if (this.waiters.size === 0) return;
    const listeners = [...this.waiters];
    this.waiters.clear();
    for (const listener of listeners) listener();
  }

  private wakeDrained(): void {
    if (this.drainWaiters.length === 0 || this.overHighWater) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
