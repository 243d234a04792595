/**
 * Event-loop delay, measured by Node's own sampler (perf_hooks.monitorEventLoopDelay): how late
 * a timer fires. A blocked loop overflows the kernel's socket buffers for UDP and SocketCAN, so
 * the figure is exported (status page, /metrics) rather than guessed.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

export interface EventLoopDelayWindow {
  /** Milliseconds, over the window since the previous sample() (or start). */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /** The largest delay seen since the monitor started. */
  max_ever_ms: number;
}

const NS_PER_MS = 1e6;

export class EventLoopDelay {
  private readonly histogram: IntervalHistogram;
  private maxEverMs = 0;

  /** `resolutionMs`: the sampling timer's period; delays are measured to about this precision. */
  constructor(resolutionMs = 5) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** The delays since the last call, then starts a new window. */
  sample(): EventLoopDelayWindow {
    const h = this.histogram;
    const empty = h.count === 0;
    const ms = (ns: number) => (empty || !Number.isFinite(ns) ? 0 : Math.round((ns / NS_PER_MS) * 100) / 100);
    const window = { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), mean_ms: ms(h.mean), max_ever_ms: 0 };
    this.maxEverMs = Math.max(this.maxEverMs, window.max_ms);
    window.max_ever_ms = this.maxEverMs;
    h.reset();
    return window;
  }

  stop(): void {
    this.histogram.disable();
  }
}
