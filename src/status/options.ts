/**
 * The `status:` and `telemetry:` sections: where the status server listens (and the token that
 * guards it off loopback), and how often the bridge reports on itself upstream.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { duration } from "../config/units.js";

export const DEFAULT_STATUS_LISTEN = "127.0.0.1:9464";
export const STATUS_TOKEN_MIN_LENGTH = 16;

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; a string that is neither gives the reason. */
export function parseListen(text: string): ListenAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return `write host:port, e.g. ${DEFAULT_STATUS_LISTEN} (an IPv6 address in brackets: [::1]:9464)`;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (port > 65_535) return `port ${port} is above 65535`;
  if (match[1] !== undefined && isIP(host) !== 6) return `${host} is not an IPv6 address`;
  return { host, port };
}

/** Only this machine can reach these: no token needed. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

const statusObject = z
  .strictObject({
    listen: z
      .string()
      .default(DEFAULT_STATUS_LISTEN)
      .superRefine((text, ctx) => {
        const parsed = parseListen(text);
        if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      })
      .describe("host:port of the status server (/health, /metrics, the live page). Port 0 picks a free one."),
    token: z
      .string()
      .min(STATUS_TOKEN_MIN_LENGTH, `a status token is at least ${STATUS_TOKEN_MIN_LENGTH} characters`)
      .optional()
      .describe(
        "Bearer token every request must carry (Authorization: Bearer …; a browser asks for it as a Basic-auth password). Required when listen is not a loopback address. Use !file rather than writing it here.",
      ),
  })
  .superRefine((section, ctx) => {
    const parsed = parseListen(section.listen);
    if (typeof parsed === "string" || isLoopback(parsed.host) || section.token !== undefined) return;
    ctx.addIssue({
      code: "custom",
      path: ["listen"],
      message: `${parsed.host} is reachable from other machines: set status.token (e.g. token: !file status-token) or listen on 127.0.0.1`,
    });
  });

/** `false` turns a section off; `true` gets a message that says how to configure it instead. */
const off = (example: string) =>
  z
    .boolean()
    .refine((value) => value === false, `false turns this off; to configure it write a mapping (${example})`)
    .transform(() => false as const);

export const statusSection = z
  .union([off(`listen: ${DEFAULT_STATUS_LISTEN}`), statusObject])
  .default({ listen: DEFAULT_STATUS_LISTEN })
  .describe("The status server: /health, /metrics (Prometheus) and a live page. On by default on loopback; false turns it off.");

export const telemetrySection = z
  .union([
    off("interval: 10s"),
    z.strictObject({
      interval: duration()
        .default(10_000)
        .refine((ms) => ms >= 1000, "at least 1s")
        .describe("How often the bridge sends its own bridge.* points."),
    }),
  ])
  .default({ interval: 10_000 })
  .describe(
    "The bridge's own health sent upstream as bridge.* points (queue depth, points/s, uplink rtt, adapter states); false turns it off.",
  );

export type StatusSection = z.output<typeof statusSection>;
export type TelemetrySection = z.output<typeof telemetrySection>;

/** The status server's settings as the daemon uses them; the token is not enumerable, so printing this never shows it. */
export interface StatusSettings extends ListenAddress {
  listen: string;
  token?: string;
}

export function statusSettings(section: StatusSection): StatusSettings | false {
  if (section === false) return false;
  const address = parseListen(section.listen) as ListenAddress;
  const settings: StatusSettings = { listen: section.listen, ...address };
  if (section.token !== undefined) Object.defineProperty(settings, "token", { value: section.token, enumerable: false });
  return settings;
}
