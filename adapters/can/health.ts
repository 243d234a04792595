/** Bus health per interface: counted per frame, sent as `bus.*` metrics and adapter counters. */
import type { PointInput } from "../../src/pipeline/point.js";

/** Distinct unknown ids are remembered up to this many, so a fuzzing bus cannot grow memory. */
const MAX_TRACKED_IDS = 10_000;

export class ChannelHealth {
  frames = 0;
  errorFrames = 0;
  unknownFrames = 0;
  decodeErrors = 0;
  windowFrames = 0;
  readonly unknownIds = new Set<number>();

  noteUnknown(key: number) {
    this.unknownFrames++;
    if (this.unknownIds.size < MAX_TRACKED_IDS) this.unknownIds.add(key);
  }
}

/** Counter names as shown by `plexus-bridge stats`. */
export const COUNTERS = [
  "frames",
  "error_frames",
  "unknown_frames",
  "decode_errors",
  "non_finite_values",
  "malformed_lines",
  "filtered_frames",
] as const;
export type CounterName = (typeof COUNTERS)[number];

export class BusHealth {
  readonly channels = new Map<string, ChannelHealth>();
  /** Deltas not yet handed to ctx.count(). */
  readonly pending: Record<CounterName, number> = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Record<CounterName, number>;
  private lastName = "";
  private last: ChannelHealth | undefined;
  private windowStart: number;

  constructor(private readonly now: () => number) {
    this.windowStart = now();
  }

  channel(name: string): ChannelHealth {
    if (name === this.lastName && this.last) return this.last;
    let health = this.channels.get(name);
    if (!health) {
      health = new ChannelHealth();
      this.channels.set(name, health);
    }
    this.lastName = name;
    this.last = health;
    return health;
  }

  flushCounts(count: (name: string, n: number) => void) {
    for (const name of COUNTERS) {
      const n = this.pending[name];
      if (n > 0) {
        count(name, n);
        this.pending[name] = 0;
      }
    }
  }

  /** One set of `bus.*` metrics per interface seen; frames/s over the time since the last call. */
  metrics(busTag: (channel: string) => string): PointInput[] {
    const now = this.now();
    const seconds = Math.max((now - this.windowStart) / 1000, 1e-3);
    this.windowStart = now;
    const points: PointInput[] = [];
    for (const [channel, health] of this.channels) {
      const tags = { bus: busTag(channel) };
      points.push(
        { metric: "bus.frames_per_s", value: Math.round((health.windowFrames / seconds) * 100) / 100, tags },
        { metric: "bus.frames", value: health.frames, tags },
        { metric: "bus.error_frames", value: health.errorFrames, tags },
        { metric: "bus.unknown_frames", value: health.unknownFrames, tags },
        { metric: "bus.unknown_ids", value: health.unknownIds.size, tags },
        { metric: "bus.decode_errors", value: health.decodeErrors, tags },
      );
      health.windowFrames = 0;
    }
    return points;
  }
}
