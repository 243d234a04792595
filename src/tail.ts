/**
 * `plexus-bridge tail`: the configured adapters' points printed instead of sent. Operators use
 * it to commission a register map; tests and benchmarks read its NDJSON. Keep that output stable:
 * one object per line with metric, value, class, timestamp, tags, source_id, adapter.
 */
import type { Sink, SinkContext } from "./daemon.js";
import { availableWithin, type Batch } from "./pipeline/batch-source.js";

export type TailFormat = "ndjson" | "table";

export interface TailOutput {
  write(text: string): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Adapter ids by origin index, to name the adapter of each point. */
export type AdapterNames = (origin: number) => string;

export class TailSink implements Sink {
  private stopped = false;
  private loop: Promise<void> | undefined;
  printed = 0;

  constructor(
    private readonly context: SinkContext,
    private readonly format: TailFormat,
    private readonly out: TailOutput,
    private readonly adapterName: AdapterNames,
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
    let text = "";
    for (let i = 0; i < batch.points.length; i++) {
      const point = batch.points[i];
      const timestamp = point.mono ? clock.toWall(point.timestamp) : point.timestamp;
      const adapter = origins ? this.adapterName(origins[i]) : "";
      if (this.format === "ndjson") {
        text += `${JSON.stringify({ metric: point.metric, value: point.value, class: point.class, timestamp, tags: point.tags ?? {}, source_id: sourceId, adapter })}\n`;
      } else {
        const tags = point.tags
          ? Object.entries(point.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(",")
          : "";
        const value = typeof point.value === "string" ? point.value : JSON.stringify(point.value);
        text += `${new Date(timestamp).toISOString()}  ${adapter.padEnd(12)} ${point.metric.padEnd(40)} ${value.padStart(14)}  ${tags}\n`;
      }
    }
    return text;
  }
}
