/**
 * The latest value of every metric the adapters emit, and a short history of each numeric one
 * for the status page's sparklines. Sampled once per tick (not per point: the pipeline only
 * keeps each name's latest point), and bounded: HISTORY_TICKS samples of at most
 * MAX_METRICS metrics, as Float32 (4 bytes a sample: 180 × 5,000 × 4 B ≈ 3.6 MB at most).
 */
import type { QueuedPoint } from "../pipeline/batch-source.js";

export const HISTORY_TICKS = 180;
export const MAX_METRICS = 5000;
/** A metric not updated for this long leaves the table (an adapter removed by a reload, a renamed signal). */
const FORGET_AFTER_MS = 3_600_000;

export interface MetricEntry {
  id: number;
  adapter: string;
  source: string;
  metric: string;
  value: unknown;
  /** Wall-clock ms of the tick that first saw the current value. */
  updatedAt: number;
  last: QueuedPoint;
  /** Samples, one per tick, for numeric values; a ring indexed by tick. */
  series?: Float32Array;
  firstTick: number;
}

export interface MetricSample {
  adapter: string;
  sourceId: string;
  point: QueuedPoint;
}

export class MetricHistory {
  private readonly entries = new Map<string, MetricEntry>();
  private nextId = 1;
  /** Metrics not tracked because MAX_METRICS was reached. */
  untracked = 0;
  tick = 0;

  constructor(
    readonly ticks = HISTORY_TICKS,
    readonly maxMetrics = MAX_METRICS,
  ) {}

  /** Takes one tick's samples; returns the entries whose value changed (new ones included). */
  record(samples: Iterable<MetricSample>, now: number): MetricEntry[] {
    this.tick++;
    const changed: MetricEntry[] = [];
    let untracked = 0;
    for (const { adapter, sourceId, point } of samples) {
      const key = `${adapter}\u0000${point.metric}`;
      const entry = this.entries.get(key);
      if (entry) {
        if (entry.last === point) continue;
        entry.last = point;
        entry.value = point.value;
        entry.updatedAt = now;
        changed.push(entry);
      } else if (this.entries.size < this.maxMetrics) {
        const fresh = {
          id: this.nextId++,
          adapter,
          source: sourceId,
          metric: point.metric,
          value: point.value,
          updatedAt: now,
          last: point,
          firstTick: this.tick,
        };
        this.entries.set(key, fresh);
        changed.push(fresh);
      } else {
        untracked++;
      }
    }
    this.untracked = untracked;
    const slot = this.tick % this.ticks;
    for (const [key, entry] of this.entries) {
      if (now - entry.updatedAt > FORGET_AFTER_MS) {
        this.entries.delete(key);
        continue;
      }
      if (typeof entry.value === "number") {
        entry.series ??= new Float32Array(this.ticks);
        entry.series[slot] = entry.value;
      } else if (typeof entry.value === "boolean") {
        entry.series ??= new Float32Array(this.ticks);
        entry.series[slot] = entry.value ? 1 : 0;
      }
    }
    return changed;
  }

  /** The samples of a metric, oldest first, from its first tick (at most `ticks`). */
  series(entry: MetricEntry): number[] {
    if (!entry.series) return [];
    const count = Math.min(this.ticks, this.tick - entry.firstTick + 1);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = entry.series[(this.tick - count + 1 + i) % this.ticks];
    return out;
  }

  all(): IterableIterator<MetricEntry> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }
}
