/**
 * How long the event loop was blocked: sockets that cannot be paused (UDP, SocketCAN) overflow
 * in the kernel while it is, and the bridge never learns what it lost. Measured with
 * perf_hooks.monitorEventLoopDelay: a libuv timer every `resolutionMs` records the time between
 * its firings, so the delay is that time minus the resolution (how late it fired). The figures
 * cover the time since start, or since the previous reset().
 */
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

export interface EventLoopDelayStats {
  /** Delay percentiles and maximum, ms, since start or the last reset. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Samples behind the figures: 0 means the monitor saw nothing yet. */
  samples: number;
}

export class EventLoopDelayMonitor {
  private readonly histogram: IntervalHistogram;

  constructor(private readonly resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  start(): this {
    this.histogram.enable();
    return this;
  }

  stop(): void {
    this.histogram.disable();
  }

  reset(): void {
    this.histogram.reset();
  }

  stats(): EventLoopDelayStats {
    const h = this.histogram;
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - this.resolutionMs) * 100) / 100);
    const samples = h.count;
    if (samples === 0) return { p50_ms: 0, p99_ms: 0, max_ms: 0, samples };
    return { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), samples };
  }
}
