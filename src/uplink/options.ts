/** The `plexus:` section of the config: where and how the uplink delivers. */
import { z } from "zod";
import { duration, size } from "../config/units.js";

/** Plexus source ids: the gateway's slug rule (PLEXUS-PROTOCOL.md). */
export const SOURCE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const sourceId = () =>
  z
    .string()
    .max(256, "a source_id is at most 256 bytes")
    .regex(SOURCE_ID_PATTERN, "a source_id is lower-case letters, digits, '.', '_' and '-', starting with a letter or digit");

export const plexusSection = z
  .strictObject({
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe("Plexus API key (plx_…): take it from the environment or !file rather than writing it here; never logged."),
    source_id: sourceId().describe("The Plexus source this bridge publishes as (one WebSocket connection per source)."),
    url: z.string().default("wss://gateway.plexus.company").describe("Gateway base URL; /ws/device is appended to a bare base."),
    http_url: z.string().optional().describe("HTTP ingest URL; default: derived from url (https://…/ingest)."),
    transport: z
      .enum(["websocket", "http", "auto"])
      .default("websocket")
      .describe("auto falls back to HTTP when the WebSocket is refused."),
    allow_insecure: z.boolean().default(false).describe("Allow ws:// or http:// to non-loopback hosts."),
    frame_max_points: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(10_000)
      .describe("Points per telemetry frame (the gateway takes up to 10,000). Fewer, larger frames cost less per point."),
    frame_max_bytes: size()
      .default(1_000_000)
      .describe(
        "Bytes per telemetry frame, by the queue's estimate (a little above the real size); the gateway closes on > 1 MiB, and a frame that comes out over it is retaken smaller.",
      ),
    frame_interval: duration().default(5).describe("Minimum gap between telemetry frames of one source."),
    flush_interval: duration()
      .default(10)
      .describe("A trickle of points gathers into at most one frame per flush_interval; points after a quiet spell go at once."),
    ack_window_frames: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        "Frames sent before a ping barrier. Above 1 (with max_unacked_windows above 1) delivery is faster on long links, but a link that stalls and bursts can make the gateway drop frames silently while still answering the barrier.",
      ),
    heartbeat_interval: duration().default(30_000).describe("Heartbeat period."),
    resync_interval: duration()
      .default(6 * 3_600_000)
      .describe("Clock re-sync period (graceful reconnect)."),
    connect_timeout: duration().default(10_000).describe("Time allowed to connect and authenticate."),
    ack_timeout: duration().default(30_000).describe("A ping barrier not answered within this time means the connection is dead."),
    max_unacked_windows: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe(
        "Ack windows in flight at once. 1 (the default) with ack_window_frames 1 means one frame in flight: no frame can be dropped silently, at one frame per round trip.",
      ),
    reconnect_min: duration().default(1000).describe("First reconnect delay; doubles per failure (±25 % jitter)."),
    reconnect_max: duration().default(60_000).describe("Longest reconnect delay."),
    stable_after: duration()
      .default(30_000)
      .describe(
        "A connection up this long counts as stable: the reconnect delay starts over. So does a connection lost (no close frame) after it carried an acknowledged frame, however short.",
      ),
    ws_retry_interval: duration().default(300_000).describe("transport auto: how long to stay on HTTP before trying the WebSocket again."),
    http_timeout: duration().default(30_000).describe("Time allowed for one HTTP ingest request."),
    device_error_interval: duration().default(5000).describe("At most one device_error per adapter per interval (the latest state wins)."),
  })
  .describe("The Plexus uplink.");

export type PlexusOptions = z.output<typeof plexusSection>;
