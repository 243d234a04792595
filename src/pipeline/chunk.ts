/**
 * A run of up to CHUNK_POINTS consecutive points of a source's queue, and (once written behind)
 * the spool record that holds them. Each point is waiting, taken (in flight) or done
 * (acknowledged or dropped); a chunk leaves the queue when every point is done. Only the done
 * points at its start (`prefix`) are recorded on disk, so a point done out of order is replayed
 * after a crash: duplicates over loss.
 */
import type { QueuedPoint } from "./batch-source.js";
import type { SpoolRecord } from "./spool.js";

export const CHUNK_POINTS = 2000;
export const WAITING = 0;
export const TAKEN = 1;
export const DONE = 2;

export class Chunk {
  /** undefined while evicted: the points are only on disk (`record`). */
  points: QueuedPoint[] | undefined = [];
  origins: number[] | undefined = [];
  sizes: number[] | undefined = [];
  state: Uint8Array | undefined = new Uint8Array(16);
  /** While evicted: origins as [origin, count, origin, count…], to count drops without reading the disk. */
  originRuns: number[] | undefined;
  count = 0;
  done = 0;
  /** Leading points done. */
  prefix = 0;
  /** No point before this index is waiting. */
  next = 0;
  taken = 0;
  record: SpoolRecord | undefined;
  /** Takes no more points (written, or full). */
  sealed = false;

  constructor(readonly seq: number) {}

  get loaded(): boolean {
    return this.points !== undefined;
  }

  get finished(): boolean {
    return this.done === this.count;
  }

  /** Appends points[from, to) of one adapter. */
  append(points: readonly QueuedPoint[], sizes: readonly number[], origin: number, from: number, to: number): void {
    const need = this.count + to - from;
    if (need > this.state!.length) {
      const grown = new Uint8Array(Math.min(CHUNK_POINTS, Math.max(need, this.state!.length * 2)));
      grown.set(this.state!);
      this.state = grown;
    }
    const own = this.points!;
    const ownSizes = this.sizes!;
    const ownOrigins = this.origins!;
    for (let i = from; i < to; i++) {
      own.push(points[i]);
      ownSizes.push(sizes[i]);
      ownOrigins.push(origin);
    }
    this.count = need;
  }

  /** Advances `prefix` over done points; true when it moved. */
  advancePrefix(): boolean {
    const before = this.prefix;
    const state = this.state;
    if (!state) return false;
    while (this.prefix < this.count && state[this.prefix] === DONE) this.prefix++;
    return this.prefix !== before;
  }

  /** Bytes of the points not done (of a loaded chunk). */
  waitingBytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.count; i++) if (this.state![i] !== DONE) bytes += this.sizes![i];
    return bytes;
  }

  /** Drops the in-memory copy of a written chunk whose only done points are its prefix. */
  evict(): void {
    const runs: number[] = [];
    const origins = this.origins!;
    for (let i = this.prefix; i < this.count; i++) {
      if (runs.length > 0 && runs[runs.length - 2] === origins[i]) runs[runs.length - 1]++;
      else runs.push(origins[i], 1);
    }
    this.originRuns = runs;
    this.points = this.origins = this.sizes = this.state = undefined;
  }

  /** Takes the points read back from the spool (`prefix` of them already done). */
  reload(points: QueuedPoint[], origins: number[], sizes: number[]): void {
    this.points = points;
    this.origins = origins;
    this.sizes = sizes;
    this.state = new Uint8Array(this.count);
    this.state.fill(DONE, 0, this.prefix);
    this.next = this.prefix;
    this.originRuns = undefined;
  }

  /** Frees what a finished chunk no longer needs. */
  release(): void {
    this.points = this.origins = this.sizes = this.state = this.originRuns = undefined;
  }
}

/** A chunk of an earlier run, known only by its record until it is read back. */
export function recoveredChunk(seq: number, record: SpoolRecord): Chunk {
  const chunk = new Chunk(seq);
  chunk.count = record.count;
  chunk.done = chunk.prefix = chunk.next = record.done;
  chunk.record = record;
  chunk.sealed = true;
  chunk.originRuns = [0, record.count - record.done];
  chunk.points = chunk.origins = chunk.sizes = chunk.state = undefined;
  return chunk;
}
