/**
 * `plexus-bridge status [--url U] [--json]` (flags through cli-args' parseArgs): asks a running bridge's status server how it is and
 * prints a table (or the JSON). Exit 0 healthy, 1 degraded or stopping, 69 unreachable, 77 token
 * refused, 64 usage: it works in scripts and ExecStartPost-style checks.
 */

import { EXIT_USAGE, parseCommandArgs, usageFailure } from "../cli-args.js";
import type { AdapterStatus, CountedStatus, SourceStatus, StatusSnapshot } from "../status/collector.js";
import { DEFAULT_STATUS_LISTEN } from "../status/options.js";
import { describeError } from "../supervisor.js";

export const STATUS_TOKEN_ENV = "PLEXUS_BRIDGE_STATUS_TOKEN";
const EXIT_DEGRADED = 1;
const EXIT_UNAVAILABLE = 69;
const EXIT_NOPERM = 77;

const USAGE = `usage: plexus-bridge status [--url URL] [--json]
  --url URL   the bridge's status server (default http://${DEFAULT_STATUS_LISTEN}; see status.listen)
  --json      print the whole status as JSON instead of tables
A status server with a token reads it from $${STATUS_TOKEN_ENV}.
Exit status: 0 healthy, 1 degraded or stopping, 69 unreachable, 77 token refused.
`;

export async function runStatusCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let values: { url?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseCommandArgs(argv, { url: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }));
  } catch (error) {
    return usageFailure(error, USAGE);
  }
  if (values.help) {
    out.write(USAGE);
    return 0;
  }
  const base = values.url ?? `http://${DEFAULT_STATUS_LISTEN}`;
  let url: URL;
  try {
    url = new URL("api/status", base.endsWith("/") ? base : `${base}/`);
  } catch {
    process.stderr.write(`--url ${base} is not a URL (e.g. http://127.0.0.1:9464)\n`);
    return EXIT_USAGE;
  }
  const token = process.env[STATUS_TOKEN_ENV];
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? describeError(error);
    process.stderr.write(
      `cannot reach the bridge's status server at ${base}: ${cause} (is the bridge running, with status: on and that listen address?)\n`,
    );
    return EXIT_UNAVAILABLE;
  }
  if (response.status === 401) {
    process.stderr.write(
      `the status server at ${base} wants its token: set $${STATUS_TOKEN_ENV}${token ? " (the one set was refused)" : ""}\n`,
    );
    return EXIT_NOPERM;
  }
  if (!response.ok) {
    process.stderr.write(`the status server at ${base} answered HTTP ${response.status}\n`);
    return EXIT_UNAVAILABLE;
  }
  const snapshot = (await response.json()) as StatusSnapshot;
  out.write(values.json ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatus(snapshot));
  return snapshot.status === "ok" ? 0 : EXIT_DEGRADED;
}

const count = (n: number) => n.toLocaleString("en-US");
const rate = (n: number) => (n >= 100 ? count(Math.round(n)) : String(n));

/** received = invalid + dropped + acknowledged + pending, with a mark saying whether it holds. */
function identityCell(c: CountedStatus): string {
  return `${count(c.received)} = ${count(c.invalid)} + ${count(c.dropped)} + ${count(c.acknowledged)} + ${count(c.pending)} ${c.balanced ? "✓" : "✗ UNBALANCED"}`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function adapterRows(adapters: AdapterStatus[]): string[] {
  const rows = adapters.map((a) => [
    a.id,
    a.type,
    a.internal ? "-" : a.state,
    a.internal ? "-" : `${Math.round(a.since_s)} s`,
    rate(a.points_per_s),
    identityCell(a.counts),
    a.internal ? "-" : count(a.restarts),
    [a.detail, a.last_error && a.last_error !== a.detail ? `last error: ${a.last_error}` : undefined].filter(Boolean).join("; "),
  ]);
  const lines = table(
    ["ADAPTER", "TYPE", "STATE", "FOR", "POINTS/S", "RECEIVED = INVALID + DROPPED + ACKED + PENDING", "RESTARTS", "DETAIL"],
    rows,
  );
  const out = [lines[0]];
  adapters.forEach((a, i) => {
    out.push(lines[i + 1]);
    const health = Object.entries(a.health).sort(([x], [y]) => x.localeCompare(y));
    if (health.length > 0) out.push(`    health: ${health.map(([k, n]) => `${k}=${count(n)}`).join(" ")}`);
    for (const [label, map] of [
      ["dropped", a.counts.dropped_reasons],
      ["invalid", a.counts.invalid_reasons],
    ] as const) {
      const entries = Object.entries(map);
      if (entries.length > 0) out.push(`    ${label}: ${entries.map(([reason, n]) => `${reason} ×${count(n)}`).join(", ")}`);
    }
  });
  return out;
}

function sourceRows(sources: SourceStatus[]): string[] {
  const rows = sources.map((s) => {
    const u = s.uplink;
    const lastAck = u?.last_ack_at ? `${Math.round((Date.now() - u.last_ack_at) / 1000)} s ago` : "-";
    return [
      s.id,
      u ? (u.connected ? (u.transport ?? "connected") : u.status) : "none",
      u?.rtt_ms === undefined ? "-" : `${u.rtt_ms} ms`,
      u?.local_clock_error_ms === undefined ? "-" : `${u.local_clock_error_ms} ms`,
      lastAck,
      u ? count(u.reconnects) : "-",
      `${count(s.queue.memory_points)} / ${count(s.queue.spool_points)}`,
      rate(s.acknowledged_per_s),
      identityCell(s.counts),
    ];
  });
  return table(
    [
      "SOURCE",
      "UPLINK",
      "RTT",
      "CLOCK",
      "LAST ACK",
      "RECONNECTS",
      "QUEUE MEM/SPOOL",
      "ACKED/S",
      "RECEIVED = INVALID + DROPPED + ACKED + PENDING",
    ],
    rows,
  );
}

export function formatStatus(s: StatusSnapshot): string {
  const lines = [
    `plexus-bridge ${s.version}: ${s.status === "ok" ? "healthy" : s.status} · up ${s.uptime_s} s · ${rate(s.totals.received_per_s)} points/s · ${count(s.totals.pending)} pending · config ${s.config.file}`,
  ];
  for (const problem of s.problems) lines.push(`  problem: ${problem}`);
  lines.push("", ...adapterRows(s.adapters), "", ...sourceRows(s.sources));
  const loop = s.process.event_loop;
  lines.push(
    "",
    `process: pid ${s.pid}, RSS ${(s.process.rss_bytes / 2 ** 20).toFixed(1)} MiB, CPU ${s.process.cpu_seconds.toFixed(1)} s, event-loop delay p99 ${loop.p99_ms} ms (max ${loop.max_ms} ms)`,
  );
  return `${lines.join("\n")}\n`;
}
