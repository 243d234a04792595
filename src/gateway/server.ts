/**
 * A local Plexus-compatible gateway: `/ws/device`, `POST /ingest` and `/health`, with the
 * validation, limits and auth behaviour of the contract, plus fault injection. Tests drive the
 * bridge against it; `plexus-bridge gateway` runs it for demos and offline commissioning.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { DeviceConnection, type DeviceHost, type IngestRecord } from "./device.js";
import type { AcceptedFrame } from "./fast-telemetry.js";
import { handleIngest } from "./ingest.js";
import { startLatencyProxy } from "./latency-proxy.js";
import { DEFAULT_FAULTS, DEFAULT_LIMITS, type GatewayFaults, type GatewayLimits } from "./limits.js";
import { normaliseTimestamp } from "./validate.js";

export interface GatewayOptions {
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Accepted API keys. Absent: dev mode, any non-empty key is accepted. */
  keys?: string[];
  /** Keys that authenticate but lack write scope. */
  readOnlyKeys?: string[];
  /** Accepted points as NDJSON ({source_id, received_at, …point}). */
  output?: NodeJS.WritableStream;
  /** Keep accepted points in `points` (default true; off for long runs and benchmarks). */
  keepPoints?: boolean;
  /** Called with each non-telemetry message a device sends (replies, heartbeats, device errors). */
  onMessage?: (message: ReceivedMessage) => void;
  /** Messages kept in `messages` (oldest dropped past it; default 100,000). */
  maxMessages?: number;
  /** Called with each accepted frame's points. */
  onPoints?: (sourceId: string, points: Record<string, unknown>[], via: "ws" | "http") => void;
  /**
   * Called with each accepted frame's count and timestamps. Cheaper than onPoints: without
   * onPoints, output or keepPoints, frames are validated on their bytes and never parsed.
   */
  onFrame?: (sourceId: string, frame: AcceptedFrame, via: "ws" | "http") => void;
  limits?: Partial<GatewayLimits>;
  faults?: Partial<GatewayFaults>;
  /** The source id `authenticated` answers with (default: the one requested, as the public gateway does). */
  assignSourceId?: (requested: string) => string;
  /** One-way latency added in each direction by a TCP proxy in front of the server. */
  latencyMs?: number;
}

export interface StoredPoint extends Record<string, unknown> {
  source_id: string;
  received_at: number;
}

export interface ReceivedMessage {
  source_id?: string;
  at: number;
  message: Record<string, unknown>;
}

export interface SourceSummary {
  points: number;
  framesAccepted: number;
  framesRejected: number;
  framesRateLimited: number;
  framesDroppedSilently: number;
  connected: boolean;
  lastPointAt?: number;
}

export interface Gateway {
  /** http://host:port — the bridge's `plexus.url` (it appends /ws/device). */
  url: string;
  port: number;
  points: StoredPoint[];
  messages: ReceivedMessage[];
  /** Every answered POST /ingest. */
  requests: IngestRecord[];
  limits: GatewayLimits;
  /** Mutable: tests and the CLI change faults while running. */
  faults: GatewayFaults;
  /** WebSocket connections opened (including refused ones). */
  readonly connectionsOpened: number;
  summary(): Map<string, SourceSummary>;
  isConnected(sourceId: string): boolean;
  /** The device_auth frame of the current connection of a source (api_key redacted). */
  authFrame(sourceId: string): Record<string, unknown> | undefined;
  /** Sends a command frame to the device connected as `sourceId`; false when none is. */
  sendCommand(sourceId: string, frame: Record<string, unknown>): boolean;
  /** Abruptly drops every device connection (no close frame). */
  dropConnections(): number;
  /** Closes every device connection with 1001 going-away. */
  goAway(): number;
  waitFor(condition: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  waitForMessage(match: (message: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

const numberOrUndefined = (value: unknown) => (typeof value === "number" ? value : undefined);

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const limits: GatewayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const faults: GatewayFaults = { ...DEFAULT_FAULTS, httpStatuses: [], ...options.faults };
  const keepPoints = options.keepPoints ?? true;
  const maxMessages = options.maxMessages ?? 100_000;
  const keys = options.keys ? new Set(options.keys) : undefined;
  const readOnly = new Set(options.readOnlyKeys ?? []);
  const points: StoredPoint[] = [];
  const messages: ReceivedMessage[] = [];
  const requests: IngestRecord[] = [];
  const sources = new Map<string, SourceSummary>();
  const connections = new Map<string, DeviceConnection>();
  const allSockets = new Set<DeviceConnection>();
  const waiters = new Set<() => void>();
  let connectionsOpened = 0;

  const serverNow = () => Date.now() + faults.skewMs;
  const summaryOf = (sourceId: string) => {
    let summary = sources.get(sourceId);
    if (!summary) {
      summary = { points: 0, framesAccepted: 0, framesRejected: 0, framesRateLimited: 0, framesDroppedSilently: 0, connected: false };
      sources.set(sourceId, summary);
    }
    return summary;
  };
  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const host: DeviceHost = {
    limits,
    faults,
    serverNow,
    assignSourceId: (requested) => options.assignSourceId?.(requested) ?? requested,
    checkKey(key) {
      if (typeof key !== "string" || key === "") return "invalid";
      if (readOnly.has(key)) return "read_only";
      if (keys && !keys.has(key)) return "invalid";
      return "ok";
    },
    attach(connection) {
      const sourceId = connection.sourceId!;
      const previous = connections.get(sourceId);
      connections.set(sourceId, connection);
      summaryOf(sourceId).connected = true;
      // The public gateway keeps one connection per source: a newer one evicts the older.
      if (previous && previous !== connection) previous.socket.close(1000, "replaced by a newer connection for this source_id");
      notify();
    },
    detach(connection) {
      allSockets.delete(connection);
      const sourceId = connection.sourceId;
      if (sourceId && connections.get(sourceId) === connection) {
        connections.delete(sourceId);
        summaryOf(sourceId).connected = false;
      }
      notify();
    },
    accept(sourceId, accepted, via) {
      const now = serverNow();
      const summary = summaryOf(sourceId);
      summary.points += accepted.length;
      summary.lastPointAt = now;
      if (keepPoints || options.output) {
        const stored = accepted.map((p) => ({
          ...p,
          timestamp: normaliseTimestamp(p.timestamp, now),
          source_id: sourceId,
          received_at: now,
        }));
        if (keepPoints) for (const p of stored) points.push(p);
        if (options.output) options.output.write(stored.map((p) => JSON.stringify(p)).join("\n") + "\n");
      }
      options.onPoints?.(sourceId, accepted, via);
      options.onFrame?.(sourceId, { count: accepted.length, timestamp: (i) => numberOrUndefined(accepted[i].timestamp) }, via);
      notify();
    },
    countsOnly: () => !keepPoints && !options.output && !options.onPoints && !faults.rejectPoint,
    acceptFrame(sourceId, frame, via) {
      const summary = summaryOf(sourceId);
      summary.points += frame.count;
      summary.lastPointAt = serverNow();
      options.onFrame?.(sourceId, frame, via);
      notify();
    },
    record(sourceId, message) {
      const received = { source_id: sourceId, at: serverNow(), message };
      messages.push(received);
      if (messages.length > maxMessages) messages.splice(0, messages.length - maxMessages);
      options.onMessage?.(received);
      notify();
    },
    recordRequest(request) {
      requests.push(request);
      notify();
    },
    countFrame(sourceId, outcome) {
      const summary = summaryOf(sourceId);
      if (outcome === "accepted") summary.framesAccepted++;
      else if (outcome === "rejected") summary.framesRejected++;
      else if (outcome === "rate_limited") summary.framesRateLimited++;
      else summary.framesDroppedSilently++;
    },
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
  const server: Server = createServer((req, res) => {
    if (faults.offline) return req.socket.destroy();
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (path === "/health" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ status: "ok", sources: sources.size }));
    }
    if ((path === "/ingest" || path === "/api/ingest") && req.method === "POST") {
      return void handleIngest(req, res, host).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (faults.offline || path !== "/ws/device") return socket.destroy();
    if (faults.refuseWebSocket) {
      socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    connectionsOpened++;
    wss.handleUpgrade(req, socket, head, (ws) => allSockets.add(new DeviceConnection(ws, host)));
  });

  const bindHost = options.host ?? "127.0.0.1";
  const latency = options.latencyMs ?? 0;
  const stall = faults.stallEveryMs > 0 && faults.stallForMs > 0 ? { everyMs: faults.stallEveryMs, forMs: faults.stallForMs } : undefined;
  const proxied = latency > 0 || stall !== undefined;
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(proxied ? 0 : (options.port ?? 0), bindHost, resolve));
  const serverPort = (server.address() as AddressInfo).port;
  const proxy = proxied ? await startLatencyProxy(bindHost, options.port ?? 0, serverPort, { latencyMs: () => latency, stall }) : undefined;
  const port = proxy?.port ?? serverPort;

  const each = (action: (connection: DeviceConnection) => void) => {
    const list = [...allSockets];
    for (const connection of list) action(connection);
    return list.length;
  };
  const timers: NodeJS.Timeout[] = [];
  if (faults.dropEveryMs > 0) timers.push(setInterval(() => each((c) => c.socket.terminate()), faults.dropEveryMs));
  if (faults.goingAwayEveryMs > 0) timers.push(setInterval(() => each((c) => c.socket.close(1001, "going away")), faults.goingAwayEveryMs));

  const waitFor = (condition: () => boolean, timeoutMs = 10_000, what = "condition") =>
    new Promise<void>((resolve, reject) => {
      if (condition()) return resolve();
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`gateway: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(poll);
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
    });

  const hostLabel = bindHost.includes(":") ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${hostLabel}:${port}`,
    port,
    points,
    messages,
    requests,
    limits,
    faults,
    get connectionsOpened() {
      return connectionsOpened;
    },
    summary: () => sources,
    isConnected: (sourceId) => connections.has(sourceId),
    authFrame: (sourceId) => connections.get(sourceId)?.authFrame,
    sendCommand(sourceId, frame) {
      const connection = connections.get(sourceId);
      if (!connection) return false;
      connection.send(frame);
      return true;
    },
    dropConnections: () => each((c) => c.socket.terminate()),
    goAway: () => each((c) => c.socket.close(1001, "going away")),
    waitFor,
    async waitForMessage(match, timeoutMs = 10_000) {
      await waitFor(() => messages.some(match), timeoutMs, "a device message");
      return messages.find(match)!;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      each((c) => c.socket.terminate());
      wss.close();
      await proxy?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
