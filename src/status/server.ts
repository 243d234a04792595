/**
 * The status server: GET /health (JSON, 503 with reasons), /metrics (Prometheus text), / (the
 * live page; its files ship in the package), /api/status and /api/history (JSON for the page and
 * `plexus-bridge status`), /events (Server-Sent Events, one message per tick). With a token,
 * every request must carry it: `Authorization: Bearer TOKEN`, or Basic auth with the token as the
 * password, which lets a browser ask for it and send it on the page's own requests.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Logger } from "../log.js";
import { packageRoot } from "../package-root.js";
import type { StatusCollector, StatusSnapshot } from "./collector.js";
import type { MetricEntry, MetricHistory } from "./history.js";
import { renderMetrics } from "./metrics.js";
import { escapeLabelValue } from "./prometheus.js";

/** The page's files: src/status/page/ in a checkout and in the package ("files" in package.json). */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};
/** Live pages at once; more get 503 (each costs a socket and one write per tick). */
const MAX_EVENT_CLIENTS = 32;
/** A page that stops reading (a phone asleep) is dropped before its backlog grows past this. */
const MAX_CLIENT_BACKLOG = 1 << 20;

export interface StatusServerOptions {
  host: string;
  port: number;
  token?: string;
  /** Never served, whatever text carries them (an adapter's error quoting a URL with the key…): the API key. */
  secrets?: (string | undefined)[];
  collector: StatusCollector;
  log: Logger;
}

export interface StatusServer {
  /** http://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { collector, log } = options;
  const pages = loadPages();
  const clients = new Set<ServerResponse>();
  const authorized = tokenCheck(options.token);
  const scrub = scrubber([...(options.secrets ?? []), options.token]);

  const unsubscribe = collector.onTick((snapshot, changed) => {
    if (clients.size === 0) return;
    const message = scrub(eventMessage(snapshot, changed, collector.history));
    for (const client of clients) {
      if (client.writableLength > MAX_CLIENT_BACKLOG) client.destroy();
      else client.write(message);
    }
  });

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      log.warn(`status request ${req.url} failed: ${(error as Error).message}`);
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n");
      else res.destroy();
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", 'Basic realm="plexus-bridge status", charset="UTF-8"');
      send(res, 401, "text/plain; charset=utf-8", "a status token is required: Authorization: Bearer TOKEN\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, 405, "text/plain; charset=utf-8", "only GET\n");
      return;
    }
    const path = new URL(req.url ?? "/", "http://status").pathname;
    const page = pages[path];
    if (page) {
      send(res, 200, page.type, page.body);
      return;
    }
    const snapshot = collector.latest;
    switch (path) {
      case "/health":
        send(res, snapshot.status === "ok" ? 200 : 503, "application/json", scrub(`${JSON.stringify(healthOf(snapshot))}\n`));
        break;
      case "/metrics":
        send(res, 200, "text/plain; version=0.0.4; charset=utf-8", scrub(renderMetrics(snapshot)));
        break;
      case "/api/status":
        send(res, 200, "application/json", scrub(`${JSON.stringify(snapshot)}\n`));
        break;
      case "/api/history":
        sendCompressed(req, res, "application/json", scrub(JSON.stringify(historyOf(collector.history))));
        break;
      case "/events":
        openEvents(req, res, snapshot);
        break;
      default:
        send(res, 404, "text/plain; charset=utf-8", "not found: try /, /health, /metrics or /api/status\n");
    }
  }

  function openEvents(req: IncomingMessage, res: ServerResponse, snapshot: StatusSnapshot): void {
    if (clients.size >= MAX_EVENT_CLIENTS) {
      send(res, 503, "text/plain; charset=utf-8", `at most ${MAX_EVENT_CLIENTS} live pages at once\n`);
      return;
    }
    res.writeHead(200, { ...COMMON_HEADERS, "Content-Type": "text/event-stream", Connection: "keep-alive" });
    res.write(`retry: 2000\n\n${scrub(eventMessage(snapshot, [], collector.history))}`);
    clients.add(res);
    const forget = () => clients.delete(res);
    req.on("close", forget);
    res.on("error", forget);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      unsubscribe();
      for (const client of clients) client.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const COMMON_HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...COMMON_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function sendCompressed(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  if (!/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    send(res, 200, type, body);
    return;
  }
  res.setHeader("Content-Encoding", "gzip");
  res.setHeader("Vary", "Accept-Encoding");
  send(res, 200, type, gzipSync(body));
}

function loadPages(): Record<string, { type: string; body: Buffer }> {
  const dir = join(packageRoot(), "src", "status", "page");
  return Object.fromEntries(
    Object.entries(PAGE_FILES).map(([path, { file, type }]) => [path, { type, body: readFileSync(join(dir, file)) }]),
  );
}

/** Replaces each secret, as written and as JSON or a Prometheus label would escape it, with "(redacted)". */
function scrubber(secrets: (string | undefined)[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(escapeLabelValue(secret));
  }
  if (forms.size === 0) return (text) => text;
  return (text) => {
    for (const form of forms) if (text.includes(form)) text = text.split(form).join("(redacted)");
    return text;
  };
}

/** Compares hashes in constant time, so the answer time says nothing about the token. */
function tokenCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  const expected = digest(token);
  return (header) => {
    if (!header) return false;
    const [scheme, value = ""] = header.split(/\s+/, 2);
    let given = value;
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      given = decoded.slice(decoded.indexOf(":") + 1);
    } else if (!/^bearer$/i.test(scheme)) {
      return false;
    }
    return timingSafeEqual(digest(given), expected);
  };
}

export function healthOf(snapshot: StatusSnapshot) {
  return {
    status: snapshot.status,
    problems: snapshot.problems,
    adapters: Object.fromEntries(snapshot.adapters.filter((a) => !a.internal).map((a) => [a.id, a.state])),
    uplinks: Object.fromEntries(
      snapshot.sources.flatMap((s) => (s.uplink ? [[s.id, s.uplink.connected ? "connected" : s.uplink.status]] : [])),
    ),
  };
}

/** Latest value, as the page shows it: numbers rounded to 6 significant digits. */
function compact(value: unknown): unknown {
  return typeof value === "number" ? Number(value.toPrecision(6)) : value;
}

function metricValue(entry: MetricEntry, history: MetricHistory) {
  return {
    id: entry.id,
    adapter: entry.adapter,
    metric: entry.metric,
    value: compact(entry.value),
    at: entry.updatedAt,
    tick: history.tick,
  };
}

/** One Server-Sent Event: the snapshot and the metric values that changed on this tick. */
export function eventMessage(snapshot: StatusSnapshot, changed: MetricEntry[], history: MetricHistory): string {
  return `data: ${JSON.stringify({ snapshot, values: changed.map((e) => metricValue(e, history)) })}\n\n`;
}

/** What /api/history answers: every metric's latest value and its samples. */
export function historyOf(history: MetricHistory) {
  return {
    tick: history.tick,
    ticks: history.ticks,
    metrics: [...history.all()].map((entry) => ({ ...metricValue(entry, history), series: history.series(entry).map(compact) })),
  };
}
