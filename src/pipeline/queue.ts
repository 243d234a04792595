/**
 * One source's queue: chunks of points in order, in memory, each written behind to the spool
 * within WRITE_BEHIND_MS of arriving (`spill`, `always`). Batches are taken from the first waiting
 * points; a batch leaves only when acknowledged, and one given back is waiting again in its place
 * (the next take starts with it). Acknowledged points are marked done in their spool record at
 * once, so a crash re-sends only what was in flight. See DESIGN.md "The queue".
 */
import type { Logger } from "../log.js";
import type { Batch, BatchSource, QueuedPoint } from "./batch-source.js";
import { CHUNK_POINTS, Chunk, DONE, recoveredChunk, TAKEN, WAITING } from "./chunk.js";
import type { QueueOptions } from "./queue-options.js";
import { QueueSpooler, type SpoolStats } from "./queue-spooler.js";
import type { Spool } from "./spool.js";
import { addReason, type PointCounters } from "./stats.js";

/** Every point is on disk at the first write-behind after it arrives: within this, plus any event-loop delay. */
export const WRITE_BEHIND_MS = 50;
const BLOCK_GRACE = 2;

class QueueBatch implements Batch {
  constructor(
    readonly seq: number,
    readonly points: QueuedPoint[],
    public bytes: number,
    readonly origins: number[],
    readonly sizes: number[],
    /** The chunks' runs the points came from: [chunk, from, to) each, in batch order. */
    readonly runs: { chunk: Chunk; from: number; to: number }[],
  ) {}
}

export interface QueueAccounting {
  source: PointCounters;
  /** Indexed by origin (adapter index); 0 is "spool" (points recovered from an earlier run). */
  adapters: PointCounters[];
}

export class SourceQueue implements BatchSource {
  /** chunks[i].seq === chunks[0].seq + i; finished chunks leave from the front. */
  private chunks: Chunk[] = [];
  /** No chunk before this index has a waiting point. */
  private cursor = 0;
  private nextChunkSeq = 0;
  private readonly inflight = new Set<QueueBatch>();
  /** Points not done, and of them, points taken. */
  private live = 0;
  private takenPoints = 0;
  private memPoints = 0;
  private memBytes = 0;
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private drainWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly highPoints: number;
  private readonly highBytes: number;
  private readonly spooler: QueueSpooler | undefined;

  constructor(
    readonly sourceId: string,
    private readonly options: QueueOptions,
    private readonly accounting: QueueAccounting,
    private readonly log: Logger,
    spool?: Spool,
  ) {
    this.highPoints = options.memory_max_points * options.high_water;
    this.highBytes = options.memory_max_bytes * options.high_water;
    if (spool && options.durability !== "memory") {
      this.spooler = new QueueSpooler(spool, log, options);
      this.timer = setInterval(() => this.tick(), WRITE_BEHIND_MS);
      this.timer.unref();
      this.recover(spool);
      this.spooler.recovered(this.chunks.length);
      this.spooler.onSendable = () => this.wake();
    }
  }

  get pending(): number {
    return this.accounting.source.pending;
  }

  /** Points held in process memory (including in flight). */
  get inMemory(): number {
    return this.memPoints;
  }

  /** What the queue holds now: in process memory (including in flight) and in the spool. */
  depth(): { memory_points: number; memory_bytes: number; spool_points: number; spool_bytes: number; spool_full?: string } {
    const spool = this.spoolStats();
    return {
      memory_points: this.memPoints,
      memory_bytes: this.memBytes,
      spool_points: spool?.points ?? 0,
      spool_bytes: spool?.bytes ?? 0,
      spool_full: spool?.full,
    };
  }

  /** The spool's state, for status and metrics: undefined without a spool. */
  spoolStats(): SpoolStats | undefined {
    return this.spooler?.stats();
  }

  /** True while producers should slow down. */
  get overHighWater(): boolean {
    if (this.memPoints >= this.highPoints || this.memBytes >= this.highBytes) {
      // With a spool that has room, high memory is relieved by evicting written chunks, not by the producers.
      return !this.spooler?.hasRoom;
    }
    return this.options.when_full === "block" && this.spooler !== undefined && !this.spooler.hasRoom;
  }

  /** Adds validated points of one adapter. Returns false when over the high-water mark. */
  enqueue(points: QueuedPoint[], sizes: number[], bytes: number, origin: number): boolean {
    const n = points.length;
    if (n === 0) return !this.overHighWater;
    this.count(origin, n, "received");
    if (this.memPoints + n > this.options.memory_max_points || this.memBytes + bytes > this.options.memory_max_bytes) {
      if (!this.makeRoom(n, bytes)) {
        this.drop(origin, n, `queue full (when_full: ${this.options.when_full})`, false);
        return false;
      }
    }
    for (let i = 0; i < n; ) {
      let tail = this.chunks[this.chunks.length - 1];
      if (!tail || tail.sealed || !tail.loaded || tail.count >= CHUNK_POINTS) {
        tail = new Chunk(this.nextChunkSeq++);
        this.chunks.push(tail);
      }
      // take() may have moved past a tail it had emptied: it has waiting points again.
      this.cursor = Math.min(this.cursor, this.chunks.length - 1);
      const end = Math.min(n, i + CHUNK_POINTS - tail.count);
      tail.append(points, sizes, origin, i, end);
      i = end;
    }
    this.live += n;
    this.memPoints += n;
    this.memBytes += bytes;
    this.count(origin, n, "pending");
    if (this.memPoints >= this.highPoints || this.memBytes >= this.highBytes) this.relieveMemory();
    // `always` sends nothing before it is synced: write it now rather than at the next tick.
    if (this.spooler?.syncBeforeSend) this.spooler.writeSoon(this.chunks);
    this.wake();
    return !this.overHighWater;
  }

  take(maxPoints: number, maxBytes: number): Batch | undefined {
    const runs: { chunk: Chunk; from: number; to: number }[] = [];
    let count = 0;
    let bytes = 0;
    let full = false;
    for (let index = this.cursor; index < this.chunks.length && !full; index++) {
      const chunk = this.chunks[index];
      if (chunk.done + chunk.taken === chunk.count) {
        if (index === this.cursor) this.cursor++;
        continue;
      }
      // `always`: nothing is sent before it is synced to the device (the order is kept: stop here).
      if (this.spooler && !this.spooler.sendable(chunk)) break;
      if (!chunk.loaded && !this.reload(chunk)) break;
      const state = chunk.state!;
      const sizes = chunk.sizes!;
      let j = chunk.next;
      while (!full) {
        while (j < chunk.count && state[j] !== WAITING) j++;
        if (j === chunk.count) break;
        const from = j;
        while (j < chunk.count && state[j] === WAITING && count < maxPoints && (bytes + sizes[j] <= maxBytes || count === 0)) {
          bytes += sizes[j];
          state[j++] = TAKEN;
          count++;
        }
        if (j > from) runs.push({ chunk, from, to: j });
        chunk.taken += j - from;
        chunk.next = j; // every point before j is taken or done
        full = count >= maxPoints || (j < chunk.count && state[j] === WAITING);
      }
      if (chunk.done + chunk.taken === chunk.count && index === this.cursor) this.cursor++;
    }
    if (count === 0) return undefined;
    const points = new Array<QueuedPoint>(count);
    const origins = new Array<number>(count);
    const sizes = new Array<number>(count);
    let k = 0;
    for (const { chunk, from, to } of runs) {
      for (let i = from; i < to; i++, k++) {
        points[k] = chunk.points![i];
        origins[k] = chunk.origins![i];
        sizes[k] = chunk.sizes![i];
      }
    }
    this.takenPoints += count;
    const batch = new QueueBatch(++this.seq, points, bytes, origins, sizes, runs);
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
    }
    const n = b.points.length;
    this.accounting.source.acknowledged += n;
    this.accounting.source.pending -= n;
    this.takenPoints -= n;
    this.memBytes -= b.bytes;
    for (const run of b.runs) this.markDone(run.chunk, run.from, run.to);
    for (const run of b.runs) this.settle(run.chunk);
    this.wakeDrained();
  }

  giveBack(batch: Batch): void {
    const b = batch as QueueBatch;
    if (!this.inflight.delete(b)) return;
    for (const { chunk, from, to } of b.runs) {
      chunk.state!.fill(WAITING, from, to);
      chunk.taken -= to - from;
      if (from < chunk.next) chunk.next = from;
      this.cursor = Math.min(this.cursor, this.indexOf(chunk));
    }
    this.takenPoints -= b.points.length;
    this.wake();
  }

  quarantine(batch: Batch, index: number, reason: string): void {
    const b = batch as QueueBatch;
    if (!this.inflight.has(b) || index < 0 || index >= b.points.length) return;
    const origin = b.origins[index];
    const size = b.sizes[index];
    let at = index;
    let r = 0;
    while (at >= b.runs[r].to - b.runs[r].from) {
      at -= b.runs[r].to - b.runs[r].from;
      r++;
    }
    const run = b.runs[r];
    const point = run.from + at;
    b.runs.splice(r, 1, { chunk: run.chunk, from: run.from, to: point }, { chunk: run.chunk, from: point + 1, to: run.to });
    for (const list of [b.points, b.origins, b.sizes] as unknown[][]) list.splice(index, 1);
    b.bytes -= size;
    this.takenPoints--;
    this.memBytes -= size;
    this.markDone(run.chunk, point, point + 1);
    this.settle(run.chunk);
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

  /** The uplink went down (or is stopping): write behind now rather than at the next tick. */
  setUplinkUp(up: boolean): void {
    if (!up) this.persist();
  }

  /**
   * Resolves once every point so far is on disk (under `always`: synced, so take() hands it out),
   * or the spool cannot take it. For tests and benchmarks; the daemon relies on the write-behind.
   */
  settled(): Promise<void> {
    return this.spooler ? this.spooler.settled(this.chunks) : Promise.resolve();
  }

  /** Writes every point not yet on disk now (the write-behind does it every WRITE_BEHIND_MS). */
  persist(): void {
    this.spooler?.retryMarks();
    this.spooler?.writeBehind(this.chunks, true);
  }

  /**
   * Shutdown: in-flight batches are given back and everything not acknowledged is on disk after
   * it, with acknowledged points marked done; what cannot be written is counted as dropped, so the
   * pending count is exactly what the next start replays.
   */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const batch of [...this.inflight].sort((a, b) => a.seq - b.seq)) this.giveBack(batch);
    let reason = this.options.durability === "memory" ? "shutdown with durability: memory" : "shutdown: no spool";
    if (this.spooler) {
      reason = this.spooler.closeOut(this.chunks);
    }
    for (const chunk of this.chunks) {
      if (chunk.record || chunk.finished) continue;
      for (let i = 0; i < chunk.count; i++) if (chunk.state![i] !== DONE) this.drop(chunk.origins![i], 1, reason, true);
    }
    this.chunks = [];
    this.spooler?.close();
    this.wakeDrained();
  }

  // ---- internals ----

  private tick(): void {
    this.spooler!.retryMarks();
    this.spooler!.writeBehind(this.chunks, false);
    // Chunks that waited while the spool could not be read can be tried again.
    if (this.waiters.size > 0 && this.hasWaiting()) this.wake();
  }

  /** True when take() would return something. */
  private hasWaiting(): boolean {
    if (this.live <= this.takenPoints) return false;
    if (!this.spooler?.syncBeforeSend) return true;
    for (let index = this.cursor; index < this.chunks.length; index++) {
      const chunk = this.chunks[index];
      if (chunk.done + chunk.taken < chunk.count) return this.spooler.sendable(chunk);
    }
    return false;
  }

  private indexOf(chunk: Chunk): number {
    return chunk.seq - this.chunks[0].seq;
  }

  /** Points of an earlier run count as received by origin 0 ("spool"); they are read back when their turn comes. */
  private recover(spool: Spool): void {
    for (const record of spool.recovered) this.chunks.push(recoveredChunk(this.nextChunkSeq++, record));
    const points = spool.points;
    if (points === 0) return;
    this.live += points;
    this.count(0, points, "received");
    this.count(0, points, "pending");
    this.log.info(`replaying ${points} points (${spool.bytes} bytes) spooled by an earlier run`);
  }

  /** Reads an evicted chunk back; a corrupt record is dropped and counted. False: stop taking for now. */
  private reload(chunk: Chunk): boolean {
    const outcome = this.spooler!.reload(chunk);
    if (outcome === "retry") return false;
    if (outcome === "corrupt") {
      this.dropEvicted(chunk, "spool record corrupt");
      return true;
    }
    this.memPoints += chunk.count - chunk.done;
    this.memBytes += chunk.waitingBytes();
    return true;
  }

  private markDone(chunk: Chunk, from: number, to: number, taken = true): void {
    chunk.state!.fill(DONE, from, to);
    if (taken) chunk.taken -= to - from;
    chunk.done += to - from;
    this.live -= to - from;
    this.memPoints -= to - from;
  }

  /** Records a chunk's new done prefix on disk; lets finished chunks at the front go. */
  private settle(chunk: Chunk): void {
    if (chunk.advancePrefix()) this.spooler?.markDone(chunk);
    if (!chunk.finished) return;
    chunk.release();
    let gone = 0;
    while (gone < this.chunks.length && this.chunks[gone].finished) gone++;
    // In steps, so a long queue is not shifted for every chunk.
    if (gone >= 64 || gone === this.chunks.length) {
      this.chunks.splice(0, gone);
      this.cursor = Math.max(0, this.cursor - gone);
    }
  }

  /** Memory past the high-water mark: write everything behind, then drop the memory copy of the newest written chunks. */
  private relieveMemory(): void {
    if (!this.spooler) return;
    this.spooler.writeBehind(this.chunks, true);
    for (let index = this.chunks.length - 1; index > this.cursor; index--) {
      if (this.memPoints <= this.highPoints / 2 && this.memBytes <= this.highBytes / 2) break;
      const chunk = this.chunks[index];
      if (!chunk.loaded || !chunk.record || chunk.taken > 0 || chunk.done !== chunk.prefix || chunk.finished) continue;
      this.memPoints -= chunk.count - chunk.done;
      this.memBytes -= chunk.waitingBytes();
      chunk.evict();
    }
    this.wakeDrained();
  }

  /** Memory is full: evict, or apply when_full. False means the incoming points must be dropped. */
  private makeRoom(n: number, bytes: number): boolean {
    const fits = () => this.memPoints + n <= this.options.memory_max_points && this.memBytes + bytes <= this.options.memory_max_bytes;
    this.relieveMemory();
    if (fits()) return true;
    switch (this.options.when_full) {
      case "drop_newest":
        return false;
      case "block":
        // Producers were told to pause; what arrives anyway is held up to a grace, then dropped.
        return this.memPoints + n <= this.options.memory_max_points * BLOCK_GRACE;
      case "drop_oldest":
        while (!fits() && this.dropOldest()) this.relieveMemory();
        return fits();
    }
  }

  /**
   * Drops the oldest waiting points (never those in flight): a chunk only on disk at once (which
   * frees spool space for memory to go to), else up to a thousand points from memory.
   */
  private dropOldest(): boolean {
    const reason = this.spooler ? "spool full (when_full: drop_oldest)" : "queue full (when_full: drop_oldest)";
    for (let index = this.cursor; index < this.chunks.length; index++) {
      const chunk = this.chunks[index];
      if (chunk.done + chunk.taken === chunk.count) continue;
      if (!chunk.loaded) {
        this.dropEvicted(chunk, reason);
        this.log.warn(`spool full: dropped the oldest ${chunk.count - chunk.prefix} points`);
        return true;
      }
      let dropped = 0;
      for (let i = chunk.next; i < chunk.count && dropped < 1000; i++) {
        if (chunk.state![i] !== WAITING) continue;
        this.drop(chunk.origins![i], 1, "queue full (when_full: drop_oldest)", true);
        this.memBytes -= chunk.sizes![i];
        this.markDone(chunk, i, i + 1, false);
        dropped++;
      }
      this.settle(chunk);
      return true;
    }
    return false;
  }

  /** Drops every waiting point of a chunk that is only on disk (its origins are kept as runs). */
  private dropEvicted(chunk: Chunk, reason: string): void {
    const runs = chunk.originRuns ?? [];
    for (let r = 0; r < runs.length; r += 2) this.drop(runs[r], runs[r + 1], reason, true);
    const n = chunk.count - chunk.done;
    this.live -= n;
    chunk.done = chunk.prefix = chunk.count;
    this.spooler?.markDone(chunk);
    this.settle(chunk);
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
