/**
 * `plexus-bridge tail`: the configured adapters' points printed instead of sent. Operators use
 * it to commission a register map; tests and benchmarks read its NDJSON. Keep that output stable:
 * one object per line with metric, value, class, timestamp, tags, source_id, adapter.
 */
import type { Sink, SinkContext } from "./daemon.js";
import { availableWithin, type Batch, type QueuedPoint } from "./pipeline/batch-source.js";

export type TailFormat = "ndjson" | "table";

export interface TailOutput {
  write(text: string): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Adapter ids by origin index, to name the adapter of each point. */
export type AdapterNames = (origin: number) => string;

/**
 * What `tail` prints, shared by the sinks of every source: `--once` keeps the first value of each
 * metric (and its tags), `--count N` the first N points. `enough` resolves when the count is
 * reached; for --once the command decides when no new metric is coming (see lastNew).
 */
export class TailSelection {
  private readonly seen = new Set<string>();
  private remaining: number;
  private reached: () => void = () => {};
  readonly enough = new Promise<void>((resolve) => {
    this.reached = resolve;
  });
  /** performance.now() of the last point printed that was new (every point, without --once). */
  lastNew = 0;

  constructor(
    private readonly firstOnly = false,
    count = Number.POSITIVE_INFINITY,
  ) {
    this.remaining = count;
    if (count <= 0) this.reached();
  }

  /** Whether to print this point; counts it if so. */
  take(point: QueuedPoint, sourceId: string): boolean {
    if (this.remaining <= 0) return false;
    if (this.firstOnly) {
      const key = `${sourceId}\0${point.metric}\0${point.tags ? JSON.stringify(point.tags) : ""}`;
      if (this.seen.has(key)) return false;
      this.seen.add(key);
    }
    this.lastNew = performance.now();
    if (--this.remaining === 0) this.reached();
    return true;
  }
}

export class TailSink implements Sink {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly table = new TableWidths();
  printed = 0;

  constructor(
    private readonly context: SinkContext,
    private readonly format: TailFormat,
    private readonly out: TailOutput,
    private readonly adapterName: AdapterNames,
    private readonly selection = new TailSelection(),
  ) {}
  start(): void {
    this.context.queue.setUplinkUp(true);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    // Whatever is still queued when tail stops is printed, not lost.
    this.printAll();
  }

  /** Resolves when the queue has nothing left. */
  async idle(): Promise<void> {
    while (this.context.queue.pending > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private async run(): Promise<void> {
    const queue = this.context.queue;
    while (!this.stopped) {
      await availableWithin(queue, 100);
      if (!(await this.printAll())) break;
    }
  }

  /** Prints everything queued; false when the output is gone. */
  private async printAll(): Promise<boolean> {
    const queue = this.context.queue;
    for (;;) {
      const batch = queue.take(5000, Number.MAX_SAFE_INTEGER);
      if (!batch) return true;
      const ok = this.out.write(this.render(batch));
      this.printed += batch.points.length;
      queue.ack(batch);
      if (!ok) await new Promise<void>((resolve) => this.out.once("drain", resolve));
    }
  }

  private render(batch: Batch): string {
    const { clock, sourceId } = this.context;
    const origins = (batch as Batch & { origins?: number[] }).origins;
    const rows: { point: QueuedPoint; timestamp: number; adapter: string }[] = [];
    for (let i = 0; i < batch.points.length; i++) {
      const point = batch.points[i];
      if (!this.selection.take(point, sourceId)) continue;
      const timestamp = point.mono ? clock.toWall(point.timestamp) : point.timestamp;
      rows.push({ point, timestamp, adapter: origins ? this.adapterName(origins[i]) : "" });
    }
    let text = "";
    if (this.format === "ndjson") {
      for (const { point, timestamp, adapter } of rows) {
        text += `${JSON.stringify({ metric: point.metric, value: point.value, class: point.class, timestamp, tags: point.tags ?? {}, source_id: sourceId, adapter })}\n`;
      }
      return text;
    }
    for (const row of rows) this.table.fit(row.adapter, row.point.metric);
    for (const { point, timestamp, adapter } of rows) {
      const tags = point.tags
        ? Object.entries(point.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")
        : "";
      const value = displayValue(point.value);
      text += `${new Date(timestamp).toISOString()}  ${adapter.padEnd(this.table.adapter)} ${point.metric.padEnd(this.table.metric)} ${value.padStart(14)}  ${tags}\n`;
    }
    return text;
  }
}

/**
 * Column widths of the table view: they grow to the longest adapter id and metric seen (before a
 * batch is printed, so one batch is aligned in itself) and never shrink, so columns stay put.
 */
class TableWidths {
  adapter = 12;
  metric = 40;

  fit(adapter: string, metric: string): void {
    this.adapter = Math.max(this.adapter, adapter.length);
    this.metric = Math.max(this.metric, metric.length);
  }
}

/**
 * A value as a person reads it: numbers at the precision a double really carries (15
 * significant digits), so 18.9 computed as 18.900000000000002 prints as 18.9; strings bare.
 */
export function displayValue(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? String(Number(value.toPrecision(15))) : String(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}
