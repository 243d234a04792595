/**
 * Points of `stream: on_demand` adapters flow only while the dashboard asks for them
 * (start_stream), at most one value per metric per interval: the latest. The rest are counted
 * as dropped, so the accounting identity holds.
 */
import type { StreamRequest } from "../bridge-control.js";
import type { QueuedPoint } from "./batch-source.js";
import { addReason, type PointCounters } from "./stats.js";

type Enqueue = (points: QueuedPoint[], sizes: number[], bytes: number, origin: number) => boolean;

interface Held {
  point: QueuedPoint;
  bytes: number;
  origin: number;
}

export class StreamGate {
  private stream: StreamRequest | undefined;
  private wanted: Set<string> | undefined;
  private latest = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly enqueue: Enqueue,
    private readonly counters: { source: PointCounters; adapters: PointCounters[] },
  ) {}

  get active(): boolean {
    return this.stream !== undefined;
  }

  offer(point: QueuedPoint, bytes: number, origin: number): void {
    if (!this.stream || (this.wanted && !this.wanted.has(point.metric))) {
      this.discard(origin, "on_demand: no stream requested");
      return;
    }
    const previous = this.latest.get(point.metric);
    if (previous) this.discard(previous.origin, "on_demand: superseded within the stream interval");
    this.latest.set(point.metric, { point, bytes, origin });
  }

  setStream(stream: StreamRequest | undefined): void {
    this.flushHeld(stream === undefined ? "on_demand: stream stopped" : undefined);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stream = stream;
    this.wanted = stream && stream.metrics.length > 0 ? new Set(stream.metrics) : undefined;
    if (stream) {
      this.timer = setInterval(() => this.flushHeld(), Math.max(10, stream.intervalMs));
      this.timer.unref();
    }
  }

  close(): void {
    this.setStream(undefined);
  }

  /** Sends the latest value of each metric, or discards them all with `reason`. */
  private flushHeld(reason?: string): void {
    if (this.latest.size === 0) return;
    const held = [...this.latest.values()];
    this.latest.clear();
    if (reason) {
      for (const h of held) this.discard(h.origin, reason);
      return;
    }
    const byOrigin = new Map<number, Held[]>();
    for (const h of held) {
      const list = byOrigin.get(h.origin) ?? [];
      list.push(h);
      byOrigin.set(h.origin, list);
    }
    for (const [origin, list] of byOrigin) {
      this.enqueue(
        list.map((h) => h.point),
        list.map((h) => h.bytes),
        list.reduce((sum, h) => sum + h.bytes, 0),
        origin,
      );
    }
  }

  private discard(origin: number, reason: string): void {
    for (const counters of [this.counters.source, this.counters.adapters[origin]]) {
      counters.received++;
      addReason(counters.droppedReasons, reason, 1);
    }
  }
}
