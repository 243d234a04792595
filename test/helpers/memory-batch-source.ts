/**
 * A minimal in-memory BatchSource for uplink tests that need no pipeline: points are pushed in
 * order; a batch given back returns to its place (by seq); quarantined points are recorded.
 */
import type { Batch, BatchSource, QueuedPoint } from "../../src/pipeline/batch-source.js";

export class MemoryBatchSource implements BatchSource {
  private readonly waiting: QueuedPoint[] = [];
  private readonly returned: Batch[] = [];
  private readonly inFlight = new Set<Batch>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  acknowledged = 0;
  readonly quarantined: { point: QueuedPoint; reason: string }[] = [];
  uplinkUp = false;
  /** Every batch taken (with its size when taken), to check framing. */
  readonly taken: number[] = [];

  constructor(readonly sourceId: string) {}

  push(...points: QueuedPoint[]): void {
    for (const point of points) this.waiting.push(point);
    this.wake();
  }

  get pending(): number {
    let n = this.waiting.length;
    for (const batch of this.returned) n += batch.points.length;
    for (const batch of this.inFlight) n += batch.points.length;
    return n;
  }

  take(maxPoints: number, maxBytes: number): Batch | undefined {
    const again = this.returned.shift();
    if (again) {
      this.inFlight.add(again);
      return again;
    }
    if (this.waiting.length === 0) return undefined;
    let bytes = 0;
    let count = 0;
    while (count < this.waiting.length && count < maxPoints) {
      const size = JSON.stringify(this.waiting[count]).length;
      if (count > 0 && bytes + size > maxBytes) break;
      bytes += size;
      count++;
    }
    const batch: Batch = { seq: ++this.seq, points: this.waiting.splice(0, count), bytes };
    this.inFlight.add(batch);
    this.taken.push(count);
    return batch;
  }

  ack(batch: Batch): void {
    if (this.inFlight.delete(batch)) this.acknowledged += batch.points.length;
  }

  giveBack(batch: Batch): void {
    if (!this.inFlight.delete(batch)) return;
    let index = 0;
    while (index < this.returned.length && this.returned[index].seq < batch.seq) index++;
    this.returned.splice(index, 0, batch);
    this.wake();
  }

  quarantine(batch: Batch, index: number, reason: string): void {
    const [point] = batch.points.splice(index, 1);
    this.quarantined.push({ point, reason });
  }

  onAvailable(listener: () => void): () => void {
    this.waiters.add(listener);
    if (this.waiting.length > 0 || this.returned.length > 0) queueMicrotask(() => this.wake());
    return () => this.waiters.delete(listener);
  }

  private wake(): void {
    const listeners = [...this.waiters];
    this.waiters.clear();
    for (const listener of listeners) listener();
  }

  setUplinkUp(up: boolean): void {
    this.uplinkUp = up;
  }
}
