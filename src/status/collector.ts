/**
 * Samples the daemon once per tick (1 s) into one StatusSnapshot: what /health, /metrics, the
 * live page, `plexus-bridge status` and the bridge's own telemetry all read. Rates (points/s)
 * are deltas between ticks; "since" is when a state was first seen; the metric history for the
 * sparklines is taken on the same tick.
 */
import type { Daemon } from "../daemon.js";
import { EventLoopDelayMonitor } from "../event-loop-delay.js";
import type { UplinkStats } from "../uplink/uplink.js";
import { type Counted, identity } from "./accounting.js";
import { assessHealth, HEALTHY_ADAPTER_STATES, type Health } from "./health.js";
import { type MetricEntry, MetricHistory } from "./history.js";

export type CountedStatus = Counted & { balanced: boolean };

export interface AdapterStatus {
  id: string;
  type: string;
  source: string;
  /** up | connecting | down | starting | backoff | finished | stopped | disabled | off; "internal" for the spool's and the bridge's own rows. */
  state: string;
  since_s: number;
  detail?: string;
  last_error?: string;
  restarts: number;
  points_per_s: number;
  counts: CountedStatus;
  /** The adapter's own counters (ctx.count): decode errors, CRC errors, timeouts… */
  health: Record<string, number>;
  internal?: boolean;
}

export interface UplinkStatus {
  status: string;
  connected: boolean;
  transport?: string;
  since_s: number;
  rtt_ms?: number;
  clock_synced: boolean;
  clock_offset_ms?: number;
  local_clock_error_ms?: number;
  connects: number;
  reconnects: number;
  frames_sent: number;
  points_sent: number;
  /** Telemetry bytes on the wire (after gzip on HTTP) and before compression. */
  bytes_sent: number;
  bytes_uncompressed: number;
  points_acked: number;
  windows_failed: number;
  rate_limited: number;
  last_ack_at?: number;
  last_error?: string;
}

export interface SourceStatus {
  id: string;
  counts: CountedStatus;
  acknowledged_per_s: number;
  queue: { memory_points: number; memory_bytes: number; spool_points: number; spool_bytes: number; spool_full?: string };
  uplink?: UplinkStatus;
}

/** Event-loop delay over the last tick, and the largest since the status collector started. */
export interface EventLoopDelayWindow {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  max_ever_ms: number;
}

export interface StatusSnapshot extends Health {
  at: number;
  version: string;
  run_id: string;
  pid: number;
  uptime_s: number;
  config: { file: string; started_at: number; reloaded_at?: number };
  process: { rss_bytes: number; heap_used_bytes: number; cpu_seconds: number; event_loop: EventLoopDelayWindow };
  totals: { received_per_s: number; acknowledged_per_s: number; pending: number; metrics: number; metrics_untracked: number };
  adapters: AdapterStatus[];
  sources: SourceStatus[];
}

export interface CollectorOptions {
  version: string;
  /** Default 1000 ms. */
  intervalMs?: number;
  /** How long a bad state may last before /health reports it (default 15 s). */
  graceS?: number;
}

export type TickListener = (snapshot: StatusSnapshot, changed: MetricEntry[]) => void;

interface Seen {
  key: string;
  since: number;
}

export class StatusCollector {
  readonly history = new MetricHistory();
  /**
   * The bridge's one event-loop delay monitor (DESIGN.md: p99 ≤ 20 ms, what UDP and SocketCAN
   * reads tolerate), in windows of one tick, for the page, /metrics and telemetry. A histogram
   * costs about 0.35 MiB, so the daemon keeps none of its own.
   */
  private readonly loop = new EventLoopDelayMonitor().start();
  private loopMaxEverMs = 0;
  private readonly listeners = new Set<TickListener>();
  private readonly seen = new Map<string, Seen>();
  private readonly lastAck = new Map<string, { acked: number; at?: number }>();
  private previous: { at: number; received: Map<string, number>; acknowledged: Map<string, number> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  latest: StatusSnapshot;

  constructor(
    private readonly daemon: Daemon,
    private readonly options: CollectorOptions,
  ) {
    this.latest = this.collect();
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.loop.stop();
  }

  onTick(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tick(): void {
    this.latest = this.collect();
    const changed = this.history.record(this.daemon.pipeline.latest(), this.latest.at);
    for (const listener of this.listeners) listener(this.latest, changed);
  }

  private collect(): StatusSnapshot {
    const now = Date.now();
    const stats = this.daemon.stats();
    const dt = this.previous ? Math.max(0.001, (now - this.previous.at) / 1000) : 0;
    const rate = (map: Map<string, number> | undefined, id: string, value: number) =>
      dt > 0 && map?.has(id) ? Math.max(0, Math.round(((value - map.get(id)!) / dt) * 10) / 10) : 0;
    const received = new Map<string, number>();
    const acknowledged = new Map<string, number>();

    const adapters: AdapterStatus[] = [];
    for (const [id, c] of Object.entries(stats.adapters)) {
      received.set(id, c.received);
      const supervisor = stats.adapter_state[id];
      // Rows without a supervisor: the spool's and the bridge's own "(…)", or an adapter a reload removed or a command disabled.
      const state = supervisor ? displayState(supervisor.state, supervisor.link) : id.startsWith("(") ? "internal" : "off";
      adapters.push({
        id,
        type: supervisor?.type ?? "internal",
        source: supervisor?.source ?? this.routeSource(id),
        state,
        since_s: this.since(`adapter ${id}`, HEALTHY_ADAPTER_STATES.has(state) ? state : "not up", now),
        detail: supervisor?.detail ?? (state === "backoff" ? supervisor?.last_error : undefined),
        last_error: supervisor?.last_error,
        restarts: supervisor?.restarts ?? 0,
        points_per_s: rate(this.previous?.received, id, c.received),
        counts: { ...c, balanced: identity(c).balanced },
        health: supervisor?.counters ?? {},
        internal: state === "internal" ? true : undefined,
      });
    }

    const sources: SourceStatus[] = [];
    for (const [id, c] of Object.entries(stats.sources)) {
      acknowledged.set(id, c.acknowledged);
      const raw = stats.uplinks[id] as UplinkStats | undefined;
      sources.push({
        id,
        counts: { ...c, balanced: identity(c).balanced },
        acknowledged_per_s: rate(this.previous?.acknowledged, id, c.acknowledged),
        queue: stats.queues[id] ?? { memory_points: 0, memory_bytes: 0, spool_points: 0, spool_bytes: 0 },
        uplink: raw && typeof raw === "object" && "status" in raw ? this.uplinkStatus(id, raw, now) : undefined,
      });
    }
    this.previous = { at: now, received, acknowledged };

    const health = assessHealth({ stopping: this.daemon.isStopping, adapters, sources }, this.options.graceS ?? 15);
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const sum = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 10) / 10;
    return {
      ...health,
      at: now,
      version: this.options.version,
      run_id: stats.run_id,
      pid: process.pid,
      uptime_s: Math.round((now - this.daemon.startedAt) / 1000),
      config: { file: this.daemon.configFile, started_at: this.daemon.startedAt, reloaded_at: this.daemon.reloadedAt },
      process: {
        rss_bytes: memory.rss,
        heap_used_bytes: memory.heapUsed,
        cpu_seconds: (cpu.user + cpu.system) / 1e6,
        event_loop: this.loopWindow(),
      },
      totals: {
        received_per_s: sum(adapters.map((a) => a.points_per_s)),
        acknowledged_per_s: sum(sources.map((s) => s.acknowledged_per_s)),
        pending: sources.reduce((n, s) => n + s.counts.pending, 0),
        metrics: this.history.size,
        metrics_untracked: this.history.untracked,
      },
      adapters,
      sources,
    };
  }

  /** The delay since the previous tick; the monitor starts a new window. */
  private loopWindow(): EventLoopDelayWindow {
    const { p50_ms, p99_ms, max_ms } = this.loop.stats();
    this.loop.reset();
    this.loopMaxEverMs = Math.max(this.loopMaxEverMs, max_ms);
    return { p50_ms, p99_ms, max_ms, max_ever_ms: this.loopMaxEverMs };
  }

  private uplinkStatus(id: string, raw: UplinkStats, now: number): UplinkStatus {
    const ack = this.lastAck.get(id) ?? { acked: 0 };
    if (raw.pointsAcked > ack.acked) this.lastAck.set(id, { acked: raw.pointsAcked, at: now });
    return {
      status: raw.status,
      connected: raw.connected,
      transport: raw.transport,
      since_s: this.since(`uplink ${id}`, raw.connected ? "connected" : raw.status, now),
      rtt_ms: raw.rttMs === undefined ? undefined : Math.round(raw.rttMs * 10) / 10,
      clock_synced: raw.clockSynced,
      clock_offset_ms: raw.clockOffsetMs,
      local_clock_error_ms: raw.localClockErrorMs,
      connects: raw.connects,
      reconnects: Math.max(0, raw.connects - 1),
      frames_sent: raw.framesSent,
      points_sent: raw.pointsSent,
      bytes_sent: raw.bytesSent,
      bytes_uncompressed: raw.bytesUncompressed,
      points_acked: raw.pointsAcked,
      windows_failed: raw.windowsFailed,
      rate_limited: raw.rateLimited,
      last_ack_at: this.lastAck.get(id)?.at,
      last_error: raw.lastError,
    };
  }

  /** The source an internal row ("(bridge)", "(spool)") or a removed adapter routed to, "" if none. */
  private routeSource(id: string): string {
    const origin = this.daemon.pipeline.origin(id);
    return (origin === undefined ? undefined : this.daemon.pipeline.route(origin)?.sourceId) ?? "";
  }

  /**
   * Seconds since `what` was first seen in `state`. Callers pass one key for every unhealthy
   * state, so an adapter flipping between starting and backoff is "not up" since its first failure.
   */
  private since(what: string, state: string, now: number): number {
    const seen = this.seen.get(what);
    if (seen?.key === state) return Math.round((now - seen.since) / 100) / 10;
    this.seen.set(what, { key: state, since: now });
    return 0;
  }
}

/** One word for an adapter: the supervisor's state, refined by the link state the adapter reports while running. */
export function displayState(state: string, link: string | undefined): string {
  if (state !== "running") return state;
  return link === "down" || link === "connecting" ? link : "up";
}
