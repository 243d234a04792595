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

/** The section's fields as written; `plexusSection` resolves what `link` implies. */
export const plexusFields = z
  .strictObject({
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe("Plexus API key (plx_…): take it from the environment or !file rather than writing it here; never logged."),
    source_id: sourceId().describe("The Plexus source this bridge publishes as (one WebSocket connection per source)."),
    url: z.string().default("wss://gateway.plexus.company").describe("Gateway base URL; /ws/device is appended to a bare base."),
    http_url: z.string().optional().describe("HTTP ingest URL; default: derived from url (https://…/ingest)."),
    link: z
      .enum(["standard", "metered"])
      .default("standard")
      .describe(
        "metered (cellular, paid per byte): HTTP with gzip, batches of up to 10,000 points gathered for up to `linger`; about 12x fewer bytes than the WebSocket, dashboard commands are not received. Each setting it implies can still be set.",
      ),
    transport: z
      .enum(["websocket", "http", "auto"])
      .optional()
      .describe("websocket (default), http, or auto (falls back to HTTP when the WebSocket is refused). Default http with link: metered."),
    allow_insecure: z.boolean().default(false).describe("Allow ws:// or http:// to non-loopback hosts."),
    frame_max_points: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe(
        "Points per telemetry frame or HTTP request (default 10000, the gateway's limit: fewer, larger frames cost less per point).",
      ),
    frame_max_bytes: size()
      .optional()
      .describe(
        "Bytes per telemetry frame, by the queue's estimate (a little above the real size). Default 1000000: the gateway closes a WebSocket on > 1 MiB, and a frame that comes out over it is retaken smaller; 4000000 with link: metered, whose HTTP bodies may be 5 MiB uncompressed.",
      ),
    frame_interval: duration().default(5).describe("Minimum gap between telemetry frames of one source."),
    linger: duration()
      .optional()
      .describe(
        "HTTP: wait up to this long for a full batch (frame_max_points) before sending a smaller one; bounds the added latency. Default 0; 5s with link: metered.",
      ),
    gzip_level: z
      .number()
      .int()
      .min(1)
      .max(9)
      .optional()
      .describe("HTTP: gzip level of request bodies (default 6; 9 with link: metered). The gateway accepts gzip only (no zstd)."),
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

export const plexusSection = plexusFields.transform(applyLinkProfile);

export type PlexusOptions = z.output<typeof plexusSection>;

/** What each `link` implies for the settings left unset. The figures come from bench/wire. */
export const LINK_PROFILES = {
  standard: { transport: "websocket", frame_max_points: 10_000, frame_max_bytes: 1_000_000, linger: 0, gzip_level: 6 },
  metered: { transport: "http", frame_max_points: 10_000, frame_max_bytes: 4_000_000, linger: 5000, gzip_level: 9 },
} as const;

function applyLinkProfile<
  T extends {
    link: keyof typeof LINK_PROFILES;
    transport?: "websocket" | "http" | "auto";
    frame_max_points?: number;
    frame_max_bytes?: number;
    linger?: number;
    gzip_level?: number;
  },
>(options: T) {
  const profile = LINK_PROFILES[options.link];
  return {
    ...options,
    transport: options.transport ?? profile.transport,
    frame_max_points: options.frame_max_points ?? profile.frame_max_points,
    frame_max_bytes: options.frame_max_bytes ?? profile.frame_max_bytes,
    linger: options.linger ?? profile.linger,
    gzip_level: options.gzip_level ?? profile.gzip_level,
  };
}
