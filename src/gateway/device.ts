/**
 * One device WebSocket on the local gateway, behaving like the public Go gateway: device_auth
 * first (within 10 s), then each message handled to completion before the next one is read —
 * which is what makes the bridge's ping barrier meaningful — with the same validation, limits
 * and error frames.
 */
import type { RawData, WebSocket } from "ws";
import { type AcceptedFrame, scanTelemetry } from "./fast-telemetry.js";
import type { GatewayFaults, GatewayLimits } from "./limits.js";
import { TokenBucket } from "./limits.js";
import { pointError, SOURCE_ID_RULE } from "./validate.js";

/** What the connection needs from the gateway it belongs to. */
export interface DeviceHost {
  limits: GatewayLimits;
  faults: GatewayFaults;
  serverNow(): number;
  /** "ok", "invalid" (unknown key) or "read_only" (no write scope). */
  checkKey(key: unknown): "ok" | "invalid" | "read_only";
  /** The source id to answer in `authenticated` (the spec lets a server assign a suffixed one). */
  assignSourceId(requested: string): string;
  /** Registers the connection for its source, evicting an older one. */
  attach(connection: DeviceConnection): void;
  detach(connection: DeviceConnection): void;
  accept(sourceId: string, points: Record<string, unknown>[], via: "ws" | "http"): void;
  /**
   * True when nothing needs accepted points as objects (not kept, not written, no onPoints, no
   * stricter rule): frames may then be validated on their bytes (fast-telemetry.ts).
   */
  countsOnly(): boolean;
  /** A frame accepted on the fast path. */
  acceptFrame(sourceId: string, frame: AcceptedFrame, via: "ws" | "http"): void;
  /** A non-telemetry message a device sent (heartbeat, command_result, replies), kept for tests. */
  record(sourceId: string | undefined, message: Record<string, unknown>): void;
  countFrame(sourceId: string, outcome: "accepted" | "rejected" | "rate_limited" | "dropped_silently"): void;
  /** One answered POST /ingest, for tests and the live summary. */
  recordRequest(request: IngestRecord): void;
}

export interface IngestRecord {
  status: number;
  gzip: boolean;
  bodyBytes: number;
  points: number;
}

const KNOWN_DEVICE_MESSAGES = new Set(["heartbeat", "command_result", "device_error"]);

export class DeviceConnection {
  sourceId: string | undefined;
  authFrame: Record<string, unknown> | undefined;
  private readonly telemetryBucket: TokenBucket;
  private readonly otherBucket: TokenBucket;
  private lastTelemetryAt = Number.NEGATIVE_INFINITY;
  private telemetryCount = 0;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    private readonly host: DeviceHost,
  ) {
    this.telemetryBucket = new TokenBucket(host.limits.telemetryPerSecond, host.limits.telemetryBurst);
    this.otherBucket = new TokenBucket(host.limits.otherPerSecond, host.limits.otherBurst);
    this.authTimer = setTimeout(() => this.refuse("authentication timeout"), host.limits.authTimeoutMs);
    socket.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    socket.on("close", () => {
      clearTimeout(this.authTimer);
      this.host.detach(this);
    });
    socket.on("error", () => {});
  }

  send(frame: Record<string, unknown>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private error(code: string, detail: string): void {
    this.send({ type: "error", code, detail });
  }

  private refuse(message: string): void {
    this.send({ type: "error", message });
    this.socket.close(1008, message.slice(0, 120));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    // Text only: ws has checked its UTF-8, which the fast path relies on to count bytes.
    if (this.sourceId && !isBinary && Buffer.isBuffer(data) && this.host.countsOnly()) {
      const frame = scanTelemetry(data, this.host.limits.maxPointsPerMessage);
      if (frame) {
        if (this.admitTelemetry(this.sourceId)) {
          this.host.countFrame(this.sourceId, "accepted");
          this.host.acceptFrame(this.sourceId, frame, "ws");
        }
        return;
      }
    }
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString("utf8") : data.toString());
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      message = parsed as Record<string, unknown>;
    } catch {
      if (!this.sourceId) {
        this.refuse("first message must be device_auth");
        return;
      }
      this.error("INVALID_MESSAGE", "message is not a JSON object");
      return;
    }
    if (!this.sourceId) {
      this.authenticate(message);
      return;
    }
    if (message.type === "telemetry") {
      this.telemetry(message);
      return;
    }
    this.host.record(this.sourceId, message);
    if (!this.otherBucket.take()) {
      this.error("RATE_LIMITED", "too many device messages");
      return;
    }
    if (!KNOWN_DEVICE_MESSAGES.has(String(message.type))) this.error("INVALID_MESSAGE", `unknown message type: ${String(message.type)}`);
  }

  private authenticate(message: Record<string, unknown>): void {
    if (message.type !== "device_auth") {
      this.refuse("first message must be device_auth");
      return;
    }
    const key = this.host.checkKey(message.api_key);
    if (key === "invalid") {
      this.refuse("Invalid API key");
      return;
    }
    if (key === "read_only") {
      this.refuse("API key lacks write scope");
      return;
    }
    const sourceId = message.source_id;
    if (typeof sourceId !== "string" || !SOURCE_ID_RULE.test(sourceId) || Buffer.byteLength(sourceId) > 256) {
      this.refuse("invalid source_id");
      return;
    }
    clearTimeout(this.authTimer);
    this.sourceId = this.host.assignSourceId(sourceId);
    this.authFrame = { ...message, api_key: "(redacted)" };
    this.host.attach(this);
    this.send({ type: "authenticated", source_id: this.sourceId, server_time_ms: this.host.serverNow() });
  }

  /** The rate limits and the per-source gap, applied to every telemetry frame before its points. */
  private admitTelemetry(sourceId: string): boolean {
    const now = performance.now();
    if (!this.telemetryBucket.take()) {
      this.host.countFrame(sourceId, "rate_limited");
      this.error("RATE_LIMITED", "telemetry rate limit exceeded");
      return false;
    }
    const gap = this.host.limits.minTelemetryGapMs;
    if (gap > 0 && now - this.lastTelemetryAt < gap) {
      this.host.countFrame(sourceId, "dropped_silently");
      return false;
    }
    this.lastTelemetryAt = now;
    const every = this.host.faults.rateLimitEvery;
    if (every > 0 && ++this.telemetryCount % every === 0) {
      this.host.countFrame(sourceId, "rate_limited");
      this.error("RATE_LIMITED", "telemetry rate limit exceeded (injected)");
      return false;
    }
    return true;
  }

  private telemetry(message: Record<string, unknown>): void {
    const sourceId = this.sourceId!;
    if (!this.admitTelemetry(sourceId)) return;
    const points = message.points;
    if (!Array.isArray(points)) {
      this.reject(sourceId, "points must be an array");
      return;
    }
    if (points.length > this.host.limits.maxPointsPerMessage) {
      this.reject(sourceId, `too many points: ${points.length} > ${this.host.limits.maxPointsPerMessage}`);
      return;
    }
    const strict = this.host.faults.rejectPoint;
    for (let i = 0; i < points.length; i++) {
      const problem = pointError(points[i], i) ?? (strict ? prefixed(i, strict(points[i])) : undefined);
      if (problem) {
        this.reject(sourceId, problem);
        return;
      }
    }
    this.host.countFrame(sourceId, "accepted");
    this.host.accept(sourceId, points, "ws");
  }

  private reject(sourceId: string, detail: string): void {
    this.host.countFrame(sourceId, "rejected");
    this.error("INVALID_MESSAGE", detail);
  }
}

function prefixed(index: number, reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : `points[${index}] ${reason}`;
}
