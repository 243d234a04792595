/**
 * Between a transport and the pipeline: decodes frames, batches their points into emit() calls,
 * honours backpressure, applies the software id filters and sends bus health periodically.
 */
import type { AdapterContext } from "../../src/adapter-contract.js";
import { orAbort } from "../../src/backoff.js";
import type { PointInput } from "../../src/pipeline/point.js";
import type { FrameDecoder } from "./decode.js";
import type { CanFrame } from "./frame.js";

export interface IdFilter {
  id: number;
  mask?: number;
  extended: boolean;
  invert: boolean;
}

/** Points per emit() for bulk delivery: large enough to amortise, small enough to pause promptly. */
const MAX_BATCH_POINTS = 2000;
/** Logged malformed lines per replay, so a garbage file does not flood the log. */
const MAX_LOGGED_MALFORMED = 10;

export class CanRuntime {
  private pending: PointInput[] = [];
  private flushScheduled = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private loggedMalformed = 0;
  private readonly filters: ((frame: CanFrame) => boolean) | undefined;

  constructor(
    readonly decoder: FrameDecoder,
    private readonly ctx: AdapterContext,
    filters: IdFilter[],
    private readonly healthIntervalMs: number,
  ) {
    this.filters = filters.length > 0 ? compileFilters(filters) : undefined;
  }

  startHealth() {
    if (this.healthIntervalMs <= 0 || this.healthTimer) return;
    this.healthTimer = setInterval(() => this.sendHealth(), this.healthIntervalMs);
    this.healthTimer.unref();
  }

  /** A last health report, e.g. when a replay ends between two intervals. */
  sendFinalHealth() {
    if (this.healthIntervalMs > 0) this.sendHealth();
  }

  sendHealth() {
    const points = this.decoder.health.metrics((channel) => this.decoder.busTag(channel));
    if (points.length > 0) this.ctx.emit(points);
  }

  /** Live transports: decode now, emit on the next turn of the event loop with whatever else arrived. */
  push(frame: CanFrame, onBackpressure?: () => void) {
    if (!this.accept(frame)) return;
    this.decoder.decode(frame, this.pending);
    if (this.pending.length >= MAX_BATCH_POINTS) {
      if (!this.flush()) onBackpressure?.();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.flush()) onBackpressure?.();
      });
    }
  }

  /** Emits what is pending; false when the queue asked us to slow down. */
  flush(): boolean {
    this.decoder.health.flushCounts((name, n) => this.ctx.count(name, n));
    if (this.pending.length === 0) return true;
    const points = this.pending;
    this.pending = [];
    return this.ctx.emit(points);
  }

  /** Replay: decode a batch, emit it in chunks, and wait for the queue whenever it is over its mark. */
  async deliver(frames: CanFrame[], signal?: AbortSignal): Promise<void> {
    // Stopping must not wait for a queue that may never drain.
    const drained = () => (signal ? orAbort(this.ctx.drained(), signal, undefined) : this.ctx.drained());
    for (const frame of frames) {
      if (!this.accept(frame)) continue;
      this.decoder.decode(frame, this.pending);
      if (this.pending.length >= MAX_BATCH_POINTS && !this.flush()) await drained();
    }
    if (!this.flush()) await drained();
  }

  malformed(where: string, reason: string) {
    this.decoder.health.pending.malformed_lines++;
    if (this.loggedMalformed < MAX_LOGGED_MALFORMED) {
      this.loggedMalformed++;
      const more = this.loggedMalformed === MAX_LOGGED_MALFORMED ? " (further malformed lines are only counted)" : "";
      this.ctx.log.warn(`skipping malformed line ${where}: ${reason}${more}`);
    }
  }

  stop() {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.flush();
  }

  private accept(frame: CanFrame): boolean {
    if (!this.filters || frame.error || this.filters(frame)) return true;
    this.decoder.health.pending.filtered_frames++;
    return false;
  }
}

function compileFilters(filters: IdFilter[]): (frame: CanFrame) => boolean {
  return (frame) =>
    filters.some((filter) => {
      const mask = filter.mask ?? (filter.extended ? 0x1fffffff : 0x7ff);
      const match = filter.extended === frame.extended && (frame.id & mask) === (filter.id & mask);
      return match !== filter.invert;
    });
}
