/**
 * /metrics: the status snapshot as Prometheus families. Names follow Prometheus conventions
 * (plexus_bridge_ prefix, base units, _total for counters); README.md lists them.
 */
import type { CountedStatus, StatusSnapshot } from "./collector.js";
import { Exposition, type Labels } from "./prometheus.js";

/** Every state an adapter can show, so a dashboard sees 0 for the ones it is not in. */
const ADAPTER_STATES = ["up", "connecting", "down", "starting", "backoff", "finished", "stopped", "disabled", "off"];
const UPLINK_STATES = ["idle", "connecting", "up", "http", "backoff", "auth_failed", "stopped"];

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function pointCounters(x: Exposition, prefix: string, what: string, labels: Labels, c: CountedStatus): void {
  x.family(
    `${prefix}_received_total`,
    "counter",
    `Points ${what} received (= invalid + dropped + acknowledged + pending).`,
  )(labels, c.received);
  x.family(`${prefix}_acknowledged_total`, "counter", `Points ${what} the gateway acknowledged.`)(labels, c.acknowledged);
  x.family(`${prefix}_pending`, "gauge", `Points ${what} queued and not yet acknowledged (memory and spool).`)(labels, c.pending);
  const invalid = x.family(`${prefix}_invalid_total`, "counter", `Points ${what} that failed validation, by reason (never sent).`);
  for (const [reason, n] of Object.entries(c.invalid_reasons)) invalid({ ...labels, reason }, n);
  const dropped = x.family(
    `${prefix}_dropped_total`,
    "counter",
    `Points ${what} dropped, by reason (queue full, rejected by the gateway…).`,
  );
  for (const [reason, n] of Object.entries(c.dropped_reasons)) dropped({ ...labels, reason }, n);
}

export function renderMetrics(s: StatusSnapshot): string {
  const x = new Exposition();
  x.family("plexus_bridge_info", "gauge", "Always 1; the labels say which bridge this is.")({ version: s.version }, 1);
  x.family(
    "plexus_bridge_healthy",
    "gauge",
    "1 when /health answers 200 (every adapter up, every uplink connected).",
  )({}, s.status === "ok" ? 1 : 0);
  x.family("plexus_bridge_start_time_seconds", "gauge", "When this run started, Unix time.")({}, s.config.started_at / 1000);
  x.family(
    "plexus_bridge_config_reload_time_seconds",
    "gauge",
    "When the config was last reloaded (SIGHUP), Unix time.",
  )({}, seconds(s.config.reloaded_at));

  for (const a of s.adapters) {
    const labels = { adapter: a.id, source: a.source || undefined };
    pointCounters(x, "plexus_bridge_points", "of this adapter", labels, a.counts);
    if (a.internal) continue;
    const state = x.family("plexus_bridge_adapter_state", "gauge", "1 for the adapter's current state, 0 for the others.");
    for (const name of ADAPTER_STATES) state({ adapter: a.id, state: name }, a.state === name ? 1 : 0);
    x.family(
      "plexus_bridge_adapter_up",
      "gauge",
      "1 when the adapter is up (or finished its replay).",
    )({ adapter: a.id }, a.state === "up" || a.state === "finished" ? 1 : 0);
    x.family(
      "plexus_bridge_adapter_restarts_total",
      "counter",
      "Times the adapter failed and was restarted.",
    )({ adapter: a.id }, a.restarts);
    const health = x.family(
      "plexus_bridge_adapter_health_total",
      "counter",
      "The adapter's own health counters (decode errors, CRC errors, timeouts, link drops…), by counter name.",
    );
    for (const [counter, n] of Object.entries(a.health)) health({ adapter: a.id, type: a.type, counter }, n);
  }

  for (const source of s.sources) {
    const labels = { source: source.id };
    pointCounters(x, "plexus_bridge_source_points", "of this source", labels, source.counts);
    const queue = source.queue;
    const points = x.family(
      "plexus_bridge_queue_points",
      "gauge",
      "Points held by the queue, in memory (in flight included) and in the spool file.",
    );
    points({ ...labels, store: "memory" }, queue.memory_points);
    points({ ...labels, store: "spool" }, queue.spool_points);
    const bytes = x.family(
      "plexus_bridge_queue_bytes",
      "gauge",
      "Bytes held by the queue, in memory (estimated JSON) and in the spool file.",
    );
    bytes({ ...labels, store: "memory" }, queue.memory_bytes);
    bytes({ ...labels, store: "spool" }, queue.spool_bytes);
    const u = source.uplink;
    if (!u) continue;
    x.family(
      "plexus_bridge_uplink_connected",
      "gauge",
      "1 while the uplink is connected (WebSocket or HTTP).",
    )(labels, u.connected ? 1 : 0);
    const state = x.family("plexus_bridge_uplink_state", "gauge", "1 for the uplink's current state, 0 for the others.");
    for (const name of UPLINK_STATES) state({ ...labels, state: name }, u.status === name ? 1 : 0);
    x.family("plexus_bridge_uplink_rtt_seconds", "gauge", "Round trip of the last ping barrier.")(labels, seconds(u.rtt_ms));
    x.family(
      "plexus_bridge_uplink_clock_offset_seconds",
      "gauge",
      "This machine's wall clock minus the gateway's.",
    )(labels, seconds(u.local_clock_error_ms));
    x.family("plexus_bridge_uplink_connects_total", "counter", "Connections opened (the first one included).")(labels, u.connects);
    x.family("plexus_bridge_uplink_reconnects_total", "counter", "Connections opened after the first.")(labels, u.reconnects);
    x.family("plexus_bridge_uplink_frames_sent_total", "counter", "Telemetry frames sent.")(labels, u.frames_sent);
    x.family("plexus_bridge_uplink_points_sent_total", "counter", "Points sent (resends included).")(labels, u.points_sent);
    x.family(
      "plexus_bridge_uplink_sent_bytes_total",
      "counter",
      "Telemetry bytes put on the wire (after gzip on HTTP; resends included).",
    )(labels, u.bytes_sent);
    x.family(
      "plexus_bridge_uplink_uncompressed_bytes_total",
      "counter",
      "The same telemetry before compression (equal to sent bytes on the WebSocket).",
    )(labels, u.bytes_uncompressed);
    x.family(
      "plexus_bridge_uplink_windows_failed_total",
      "counter",
      "Ack windows the gateway answered with an error.",
    )(labels, u.windows_failed);
    x.family("plexus_bridge_uplink_rate_limited_total", "counter", "RATE_LIMITED answers from the gateway.")(labels, u.rate_limited);
    x.family(
      "plexus_bridge_uplink_last_ack_time_seconds",
      "gauge",
      "When the gateway last acknowledged points, Unix time.",
    )(labels, seconds(u.last_ack_at));
  }

  const loop = s.process.event_loop;
  x.family("plexus_bridge_event_loop_delay_p50_seconds", "gauge", "Event-loop delay, median over the last second.")({}, loop.p50_ms / 1000);
  x.family(
    "plexus_bridge_event_loop_delay_p99_seconds",
    "gauge",
    "Event-loop delay, 99th percentile over the last second.",
  )({}, loop.p99_ms / 1000);
  x.family(
    "plexus_bridge_event_loop_delay_max_seconds",
    "gauge",
    "Event-loop delay, largest over the last second.",
  )({}, loop.max_ms / 1000);
  x.family("process_resident_memory_bytes", "gauge", "Resident set size.")({}, s.process.rss_bytes);
  x.family("process_cpu_seconds_total", "counter", "User and system CPU time.")({}, s.process.cpu_seconds);
  x.family("process_start_time_seconds", "gauge", "When the process started, Unix time.")({}, s.config.started_at / 1000);
  x.family("nodejs_heap_used_bytes", "gauge", "V8 heap in use.")({}, s.process.heap_used_bytes);
  return x.text();
}
