/**
 * Bookkeeping for acknowledged delivery over WebSocket (PLEXUS-PROTOCOL.md, "ping barrier").
 * The gateway handles every message before it reads the next and answers a ping when its reader
 * reaches it, so a pong acknowledges everything sent before its ping, and an error frame that
 * arrives before a pong belongs to the window that ping closed.
 */
import type { Batch, BatchSource } from "../pipeline/batch-source.js";
import type { UplinkCounters } from "./counters.js";
import type { ErrorFrame } from "./protocol.js";

export type BarrierKind = "sync" | "telemetry" | "probe" | "control";

export interface Barrier {
  id: number;
  kind: BarrierKind;
  /** Telemetry windows: the batches the barrier acknowledges. */
  batches: Batch[];
  /** Error frames that arrived before this barrier's pong. */
  errors: ErrorFrame[];
  sentAtMono: number;
  /** What a control barrier covered (for the log). */
  label?: string;
  settle?: (errors: ErrorFrame[]) => void;
}

/** Barriers in the order their pings went out. */
export class BarrierQueue {
  private readonly pending: Barrier[] = [];
  private nextId = 1;

  open(kind: BarrierKind, sentAtMono: number, batches: Batch[] = [], label?: string): Barrier {
    const barrier: Barrier = { id: this.nextId++, kind, batches, errors: [], sentAtMono, label };
    this.pending.push(barrier);
    return barrier;
  }

  /** An error frame belongs to the oldest barrier not yet answered; undefined: to the open window. */
  attribute(error: ErrorFrame): Barrier | undefined {
    const barrier = this.pending[0];
    barrier?.errors.push(error);
    return barrier;
  }

  /** The pong for `id` answers it and every older barrier (pongs come back in order). */
  answer(id: number): Barrier[] {
    const answered: Barrier[] = [];
    while (this.pending.length > 0 && this.pending[0].id <= id) answered.push(this.pending.shift()!);
    return answered;
  }

  oldest(): Barrier | undefined {
    return this.pending[0];
  }

  count(kind?: BarrierKind): number {
    return kind ? this.pending.filter((b) => b.kind === kind).length : this.pending.length;
  }

  /** The connection is gone: every barrier is abandoned. */
  drain(): Barrier[] {
    return this.pending.splice(0);
  }
}

/**
 * Every batch taken from the queue and not yet settled. A batch is settled exactly once —
 * acknowledged or given back — however the connection ends.
 */
export class InFlight {
  private readonly batches = new Set<Batch>();

  constructor(
    private readonly source: BatchSource,
    private readonly counters: UplinkCounters,
  ) {}

  add(batch: Batch): void {
    this.batches.add(batch);
  }

  has(batch: Batch): boolean {
    return this.batches.has(batch);
  }

  get size(): number {
    return this.batches.size;
  }

  ack(batch: Batch): void {
    if (!this.batches.delete(batch)) return;
    this.counters.pointsAcked += batch.points.length;
    this.source.ack(batch);
  }

  giveBack(batch: Batch): void {
    if (!this.batches.delete(batch)) return;
    this.counters.pointsGivenBack += batch.points.length;
    this.source.giveBack(batch);
  }

  /** Gives back everything still in flight, oldest first, so the queue keeps its order. */
  giveBackAll(): number {
    const all = [...this.batches].sort((a, b) => a.seq - b.seq);
    for (const batch of all) this.giveBack(batch);
    return all.length;
  }
}
