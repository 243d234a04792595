/**
 * The wire format of PLEXUS-PROTOCOL.md: frame shapes, URL rules, and the telemetry encoder.
 * The encoder is on the hot path (a million points a second), so it writes JSON by hand for the
 * fields every point has and maps monotonic stamps to wall time as it goes.
 */

import type { BridgeClock } from "../clock.js";

/** What goes into device_auth.sensors for one adapter. */
export interface DeviceSensor {
  name: string;
  description?: string;
  metrics?: string[];
  sample_rate?: number;
  prefix?: string;
  available?: boolean;
}

export interface DeviceAuthFrame {
  type: "device_auth";
  api_key: string;
  source_id: string;
  platform: "plexus-bridge";
  agent_version: string;
  install_id: string;
  sensors: DeviceSensor[];
}

export function deviceAuthFrame(o: {
  apiKey: string | undefined;
  sourceId: string;
  agentVersion: string;
  installId: string;
  sensors: DeviceSensor[];
}): DeviceAuthFrame {
  return {
    type: "device_auth",
    api_key: o.apiKey ?? "",
    source_id: o.sourceId,
    platform: "plexus-bridge",
    agent_version: o.agentVersion,
    install_id: o.installId,
    sensors: o.sensors,
  };
}

export interface ErrorFrame {
  type: "error";
  code?: string;
  message?: string;
  detail?: string;
}

export interface AuthenticatedFrame {
  type: "authenticated";
  source_id?: string;
  server_time_ms?: number;
}

/** Any frame the gateway sends us; commands are checked field by field in commands.ts. */
export type InboundFrame = { type: string; [key: string]: unknown };

export const WS_MESSAGE_LIMIT = 1024 * 1024;
/** Close codes with a meaning for the uplink. */
export const CLOSE_GOING_AWAY = 1001;
/** No close frame: the connection was lost (a link drop, a peer that vanished, our own terminate). */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_POLICY_VIOLATION = 1008;

/** The human-readable part of an error frame, whichever field the gateway used. */
export function errorText(frame: ErrorFrame): string {
  return [frame.code, frame.message, frame.detail].filter((part) => typeof part === "string" && part !== "").join(": ") || "error";
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname.endsWith(".localhost");
}

/** `plexus.url` → the device WebSocket URL: https→wss, http→ws, and `/ws/device` appended to a bare base. */
export function deviceWebSocketUrl(base: string): URL {
  const url = new URL(base);
  if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:")
    throw new Error(`plexus.url must be ws://, wss://, http:// or https:// (got ${url.protocol})`);
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/ws/device";
  return url;
}

/** The HTTP ingest URL: `plexus.http_url`, or derived from `plexus.url` (same host, `/ingest`). */
export function ingestUrl(base: string, httpUrl?: string): URL {
  if (httpUrl) {
    const url = new URL(httpUrl);
    if (url.pathname === "" || url.pathname === "/") url.pathname = "/ingest";
    return url;
  }
  const url = new URL(base);
  if (url.protocol === "wss:") url.protocol = "https:";
  else if (url.protocol === "ws:") url.protocol = "http:";
  url.pathname = "/ingest";
  url.search = "";
  return url;
}

/** Plain-text transports are allowed only to loopback unless the config says otherwise. */
export function assertSecure(url: URL, allowInsecure: boolean, what: string): void {
  if (allowInsecure) return;
  if (url.protocol === "wss:" || url.protocol === "https:") return;
  if (isLoopback(url.hostname)) return;
  throw new Error(
    `${what} ${url.protocol}//${url.host} is not encrypted; use wss:// / https:// or set plexus.allow_insecure: true (only on a trusted network)`,
  );
}

/**
 * What to add to a monotonic stamp to get wall time, read once per frame: the server offset
 * once synced, else the local wall clock's current distance from the monotonic one.
 */
export function wallOffset(clock: BridgeClock): number {
  if (clock.synced) return clock.sync.offsetMs;
  const mono = clock.monotonicMs();
  return clock.toWall(mono) - mono;
}

/** The `points[3]` an INVALID_MESSAGE detail names, if it names one. */
export function rejectedPointIndex(text: string): number | undefined {
  const match = /points\[(\d+)\]/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** UTF-8 size of a string, exact only when it matters (near a limit). */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
