// The live status page: one snapshot per second over Server-Sent Events (/events), the metric
// history once at load (/api/history), then kept here. No framework, no build step.

const HISTORY = 180; // samples kept per metric, one per tick (the server keeps as many)
const MAX_ROWS = 150; // metric rows drawn at once; the filter narrows the rest
const metrics = new Map(); // id → { adapter, metric, value, at, series: number[] }
let snapshot;
let lastMessageAt = 0;

const $ = (id) => document.getElementById(id);
const esc = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function fmtNumber(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return n === undefined ? "–" : String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(abs >= 1e7 ? 1 : 2)} M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(abs >= 1e5 ? 0 : 1)} k`;
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return String(Number(n.toPrecision(abs >= 1 ? 5 : 4)));
}
const fmtCount = (n) => (n === undefined ? "–" : n.toLocaleString("en-US"));
function fmtBytes(n) {
  if (n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
function fmtAge(seconds) {
  if (seconds === undefined || seconds === null) return "–";
  if (seconds < 1) return "now";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : "–");
/** "just now", "12 s ago"… */
function ago(ms) {
  if (!ms) return "–";
  const age = fmtAge((Date.now() - ms) / 1000);
  return age === "now" ? "just now" : `${age} ago`;
}

const STATE_CLASS = {
  up: "ok",
  finished: "ok",
  connected: "ok",
  http: "ok",
  connecting: "warn",
  starting: "warn",
  backoff: "bad",
  down: "bad",
  auth_failed: "bad",
};
const pill = (text, state = text) => `<span class="pill ${STATE_CLASS[state] ?? "idle"}">${esc(text)}</span>`;
const row = (label, value, extra = "") => `<div class="kv${extra}"><span>${esc(label)}</span><b>${value}</b></div>`;

function identity(c) {
  const sum = c.invalid + c.dropped + c.acknowledged + c.pending;
  const mark = c.balanced ? `<span class="check" title="the identity holds">✓</span>` : `<span class="bad-text">≠ ${fmtCount(sum)}</span>`;
  return `<div class="identity" title="received = invalid + dropped + acknowledged + pending">
    <b>${fmtCount(c.received)}</b> received ${mark} =
    <span>${fmtCount(c.invalid)} invalid</span> + <span>${fmtCount(c.dropped)} dropped</span> +
    <span>${fmtCount(c.acknowledged)} acked</span> + <span>${fmtCount(c.pending)} pending</span></div>`;
}

function reasons(title, map) {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return "";
  return `<div class="reasons"><span class="muted">${esc(title)}:</span> ${entries.map(([r, n]) => `${esc(r)} <b>×${fmtCount(n)}</b>`).join(" · ")}</div>`;
}

function renderHeader(s) {
  const health = $("health");
  health.textContent = s.status === "ok" ? "healthy" : s.status;
  health.className = `pill ${s.status === "ok" ? "ok" : s.status === "stopping" ? "warn" : "bad"}`;
  const reloaded = s.config.reloaded_at ? ` · reloaded ${fmtTime(s.config.reloaded_at)}` : "";
  $("about").innerHTML =
    `v${esc(s.version)} · pid ${s.pid} · up ${fmtAge(s.uptime_s)} · config <code>${esc(s.config.file)}</code> loaded ${fmtTime(s.config.started_at)}${reloaded}`;
  const problems = $("problems");
  problems.hidden = s.problems.length === 0;
  problems.innerHTML = s.problems.map((p) => `<div>⚠ ${esc(p)}</div>`).join("");
}

function renderOverview(s) {
  const queue = s.sources.reduce(
    (q, src) => ({
      mem: q.mem + src.queue.memory_points,
      memB: q.memB + src.queue.memory_bytes,
      spool: q.spool + src.queue.spool_points,
      spoolB: q.spoolB + src.queue.spool_bytes,
    }),
    { mem: 0, memB: 0, spool: 0, spoolB: 0 },
  );
  const uplinks = s.sources.filter((src) => src.uplink);
  const up = uplinks.filter((src) => src.uplink.connected).length;
  const rtts = uplinks.map((src) => src.uplink.rtt_ms).filter((v) => v !== undefined);
  const loop = s.process.event_loop;
  $("overview").innerHTML = [
    `<article class="card"><h3>Throughput</h3>
      <div class="big">${fmtNumber(s.totals.received_per_s)} <small>points/s in</small></div>
      ${row("acknowledged", `${fmtNumber(s.totals.acknowledged_per_s)} /s`)}
      ${row("metrics seen", fmtCount(s.totals.metrics))}</article>`,
    `<article class="card"><h3>Queue</h3>
      <div class="big">${fmtCount(s.totals.pending)} <small>pending</small></div>
      ${row("memory", `${fmtCount(queue.mem)} pts · ${fmtBytes(queue.memB)}`)}
      ${row("spool", `${fmtCount(queue.spool)} pts · ${fmtBytes(queue.spoolB)}`)}</article>`,
    `<article class="card"><h3>Uplink</h3>
      <div class="big">${up}/${uplinks.length} <small>connected</small></div>
      ${row("rtt", rtts.length ? `${fmtNumber(Math.max(...rtts))} ms` : "–")}
      ${row("last ack", uplinks.length ? ago(Math.max(0, ...uplinks.map((src) => src.uplink.last_ack_at ?? 0))) : "–")}</article>`,
    `<article class="card"><h3>Process</h3>
      <div class="big">${fmtBytes(s.process.rss_bytes)} <small>RSS</small></div>
      ${row("CPU", `${s.process.cpu_seconds.toFixed(1)} s`)}
      ${row("event-loop delay", `p99 ${loop.p99_ms} ms · max ${loop.max_ms} ms`)}</article>`,
  ].join("");
}

function renderAdapters(s) {
  $("adapters").innerHTML = s.adapters
    .map((a) => {
      const health = Object.entries(a.health).sort(([x], [y]) => x.localeCompare(y));
      const chips = health.length
        ? `<div class="chips">${health.map(([k, n]) => `<span class="chip${n > 0 && /err|fail|drop|timeout|invalid|lost|stale/.test(k) ? " warn" : ""}">${esc(k)} <b>${fmtCount(n)}</b></span>`).join("")}</div>`
        : `<div class="muted small">no health counters yet</div>`;
      const head = a.internal
        ? `<h3>${esc(a.id)} <span class="muted small">${a.id === "(bridge)" ? "the bridge's own telemetry" : "replayed from the spool"}</span></h3>`
        : `<h3>${esc(a.id)} <span class="muted small">${esc(a.type)} → ${esc(a.source)}</span> ${pill(a.state)}</h3>`;
      const healthy = a.state === "up" || a.state === "finished";
      const detail = a.detail ? `<div class="detail${healthy ? " muted" : ""}">${esc(a.detail)}</div>` : "";
      const lastError = a.last_error && a.last_error !== a.detail ? row("last error", esc(a.last_error), " error") : "";
      return `<article class="card adapter" data-adapter="${esc(a.id)}">${head}${detail}
        <div class="big">${fmtNumber(a.points_per_s)} <small>points/s</small></div>
        ${a.internal ? "" : row("state for", fmtAge(a.since_s)) + row("restarts", fmtCount(a.restarts))}${lastError}
        ${identity(a.counts)}${reasons("dropped", a.counts.dropped_reasons)}${reasons("invalid", a.counts.invalid_reasons)}
        ${a.internal ? "" : chips}</article>`;
    })
    .join("");
}

function renderSources(s) {
  $("sources").innerHTML = s.sources
    .map((src) => {
      const u = src.uplink;
      const uplink = u
        ? `${row("uplink", `${pill(u.connected ? `${u.transport ?? "connected"}` : u.status, u.connected ? "connected" : u.status)} for ${fmtAge(u.since_s)}`)}
          ${row("rtt", u.rtt_ms === undefined ? "–" : `${fmtNumber(u.rtt_ms)} ms`)}
          ${row("clock offset", u.local_clock_error_ms === undefined ? "not synced" : `${fmtNumber(u.local_clock_error_ms)} ms`)}
          ${row("last ack", ago(u.last_ack_at))}
          ${row("frames · reconnects", `${fmtCount(u.frames_sent)} · ${fmtCount(u.reconnects)}`)}
          ${u.last_error ? row("last error", esc(u.last_error), " error") : ""}`
        : row("uplink", "none");
      return `<article class="card source" data-source="${esc(src.id)}"><h3>${esc(src.id)}</h3>
        <div class="big">${fmtNumber(src.acknowledged_per_s)} <small>acked/s</small></div>
        ${uplink}
        ${row("queue memory", `${fmtCount(src.queue.memory_points)} pts · ${fmtBytes(src.queue.memory_bytes)}`)}
        ${row("queue spool", `${fmtCount(src.queue.spool_points)} pts · ${fmtBytes(src.queue.spool_bytes)}`)}
        ${identity(src.counts)}${reasons("dropped", src.counts.dropped_reasons)}${reasons("invalid", src.counts.invalid_reasons)}</article>`;
    })
    .join("");
}

function sparkline(series) {
  if (series.length < 2) return "";
  let min = Infinity;
  let max = -Infinity;
  for (const v of series) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const w = 160;
  const h = 24;
  const span = max - min || 1;
  // The right edge is now; a young series spans at least a minute, so a few seconds are a short line, not a dot.
  const step = w / (Math.min(HISTORY, Math.max(series.length, 60)) - 1);
  const x0 = w - (series.length - 1) * step;
  const points = series.map((v, i) => `${(x0 + i * step).toFixed(1)},${(h - 2 - ((v - min) / span) * (h - 4)).toFixed(1)}`).join(" ");
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" aria-hidden="true"><polyline points="${points}" /></svg>`;
}

/** "car.*speed" matches like a glob; anything else is a case-insensitive substring. */
function matcher(text) {
  const query = text.trim().toLowerCase();
  if (!query) return () => true;
  if (query.includes("*")) {
    const pattern = new RegExp(
      query
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*"),
    );
    return (name) => pattern.test(name.toLowerCase());
  }
  return (name) => name.toLowerCase().includes(query);
}

function renderMetrics() {
  const matches = matcher($("filter").value);
  const all = [...metrics.values()].filter((m) => matches(m.metric)).sort((a, b) => a.metric.localeCompare(b.metric));
  $("metric-count").textContent = `${all.length > MAX_ROWS ? `first ${MAX_ROWS} of ` : ""}${all.length} of ${metrics.size} metrics`;
  $("metrics").innerHTML = all
    .slice(0, MAX_ROWS)
    .map((m) => {
      const value = typeof m.value === "object" ? JSON.stringify(m.value) : m.value;
      const shown = typeof value === "number" ? fmtNumber(value) : String(value);
      return `<tr data-metric="${esc(m.metric)}"><td class="name">${esc(m.metric)}</td><td class="num" title="${esc(value)}">${esc(shown)}</td><td class="age">${fmtAge((Date.now() - m.at) / 1000)}</td><td>${sparkline(m.series)}</td></tr>`;
    })
    .join("");
}

function onMessage(message) {
  lastMessageAt = Date.now();
  snapshot = message.snapshot;
  for (const v of message.values) {
    const entry = metrics.get(v.id) ?? { adapter: v.adapter, metric: v.metric, series: [] };
    entry.value = v.value;
    entry.at = v.at;
    metrics.set(v.id, entry);
  }
  // One sample per tick for every numeric metric, carried forward as the server does.
  for (const entry of metrics.values()) {
    const v = typeof entry.value === "boolean" ? Number(entry.value) : entry.value;
    if (typeof v !== "number") continue;
    entry.series.push(v);
    if (entry.series.length > HISTORY) entry.series.shift();
  }
  renderHeader(snapshot);
  renderOverview(snapshot);
  renderAdapters(snapshot);
  renderSources(snapshot);
  renderMetrics();
  showLive();
  document.body.dataset.ticks = String(Number(document.body.dataset.ticks ?? 0) + 1);
}

async function start() {
  try {
    const history = await (await fetch("api/history")).json();
    for (const m of history.metrics)
      metrics.set(m.id, { adapter: m.adapter, metric: m.metric, value: m.value, at: m.at, series: m.series });
  } catch {
    // The live stream fills the table anyway.
  }
  const events = new EventSource("events");
  events.onmessage = (event) => onMessage(JSON.parse(event.data));
  $("filter").addEventListener("input", renderMetrics);
  setInterval(showLive, 500);
}

/** "● live" while snapshots arrive; says how long it has been when they stop. */
function showLive() {
  const live = $("live");
  const age = lastMessageAt ? (Date.now() - lastMessageAt) / 1000 : undefined;
  live.textContent = age === undefined ? "connecting…" : age < 3 ? "● live" : `○ no update for ${fmtAge(age)}`;
  live.className = `live ${age !== undefined && age < 3 ? "on" : "off"}`;
}

start();
