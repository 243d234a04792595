/**
 * The bridge's own health sent upstream with its data, under `bridge.`: a dashboard then shows
 * a gateway's queue, rate and link next to what it forwards. Points go through the pipeline as
 * the internal adapter "(bridge)", so they are validated, queued, spooled and counted like any.
 */

import type { Pipeline } from "../pipeline/pipeline.js";
import type { PointInput } from "../pipeline/point.js";
import type { StatusSnapshot } from "./collector.js";

export const TELEMETRY_ADAPTER = "(bridge)";

/** Points for one telemetry tick. `lastStates` carries the adapter states already sent (changes are events). */
export function telemetryPoints(snapshot: StatusSnapshot, lastStates: Map<string, string>): PointInput[] {
  const points: PointInput[] = [
    { metric: "points_per_s", value: snapshot.totals.received_per_s },
    { metric: "process.rss_bytes", value: snapshot.process.rss_bytes },
    { metric: "event_loop.p99_ms", value: snapshot.process.event_loop.p99_ms },
    { metric: "healthy", value: snapshot.status === "ok" ? 1 : 0 },
  ];
  for (const source of snapshot.sources) {
    const tags = { source: source.id };
    points.push(
      { metric: "queue.pending", value: source.counts.pending, tags },
      { metric: "queue.memory_points", value: source.queue.memory_points, tags },
      { metric: "queue.spool_points", value: source.queue.spool_points, tags },
      { metric: "points.acknowledged_per_s", value: source.acknowledged_per_s, tags },
      { metric: "points.dropped", value: source.counts.dropped, tags },
      { metric: "points.invalid", value: source.counts.invalid, tags },
    );
    const uplink = source.uplink;
    if (uplink) {
      points.push({ metric: "uplink.reconnects", value: uplink.reconnects, tags });
      if (uplink.rtt_ms !== undefined) points.push({ metric: "uplink.rtt_ms", value: uplink.rtt_ms, tags });
    }
  }
  for (const adapter of snapshot.adapters) {
    if (adapter.internal) continue;
    const tags = { adapter: adapter.id };
    points.push({ metric: "adapter.points_per_s", value: adapter.points_per_s, tags });
    const state = adapter.detail ? `${adapter.state}: ${adapter.detail}`.slice(0, 250) : adapter.state;
    if (lastStates.get(adapter.id) !== state) {
      lastStates.set(adapter.id, state);
      points.push({ metric: "adapter.state", value: state, tags });
    }
  }
  return points;
}

/** Sends telemetryPoints every `intervalMs` into the pipeline for `sourceId`. */
export function startTelemetry(options: {
  pipeline: Pipeline;
  sourceId: string;
  intervalMs: number;
  snapshot: () => StatusSnapshot;
  stopping: () => boolean;
}): { stop(): void } {
  const { pipeline } = options;
  const origin = pipeline.addAdapter({ id: TELEMETRY_ADAPTER, sourceId: options.sourceId, prefix: "bridge.", stream: "always" });
  const lastStates = new Map<string, string>();
  const timer = setInterval(() => {
    if (!options.stopping()) pipeline.ingest(origin, telemetryPoints(options.snapshot(), lastStates));
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
