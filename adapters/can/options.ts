/** Options of the `can` adapter. Light on purpose: the config schema imports this for every config. */
import { z } from "zod";
import { duration, rate } from "../../src/config/units.js";

/** slcan `S<n>` bitrate codes (Lawicel), by bit/s. */
export const SLCAN_BITRATES: Record<number, string> = {
  10000: "S0",
  20000: "S1",
  50000: "S2",
  100000: "S3",
  125000: "S4",
  250000: "S5",
  500000: "S6",
  800000: "S7",
  1000000: "S8",
};

const filterShape = {
  on_change: z.boolean().optional().describe("Send a value only when it changed by more than `deadband` since the last one sent."),
  deadband: z.number().nonnegative().optional().describe("With on_change: the change (in physical units) a value must exceed to be sent."),
  max_rate: rate().optional().describe("At most this many values per second per signal (e.g. 10Hz, 30/min); 0 = no limit."),
  heartbeat: duration()
    .optional()
    .describe("With on_change or max_rate: send the value anyway when nothing was sent for this long (checked as frames arrive)."),
};

export const canOptions = z
  .strictObject({
    interface: z
      .enum(["socketcan", "slcan", "candump"])
      .describe("Where frames come from: a SocketCAN interface, an slcan (Lawicel) serial adapter, or a candump log replay."),
    channel: z.string().min(1).default("can0").describe("socketcan: the network interface (can0, vcan0)."),
    device: z.string().optional().describe("slcan: the serial device, e.g. /dev/ttyACM0 or /dev/serial/by-id/…"),
    bitrate: z
      .number()
      .int()
      .positive()
      .default(500000)
      .describe("slcan: the CAN bitrate sent with the S command (10000…1000000). socketcan: set it with `ip link`, not here."),
    serial_baud: z.number().int().positive().default(115200).describe("slcan: the serial line speed (ignored by USB CDC adapters)."),
    listen_only: z.boolean().default(false).describe("slcan: open with L (listen only: never ACKs or transmits) instead of O."),
    file: z
      .string()
      .optional()
      .describe("candump: the log file (relative to the config file), or - to read stdin (e.g. `candump -L can0 | …`)."),
    speed: z
      .union([z.number().positive(), z.literal("max")], { error: 'speed must be a positive number (1 = capture time) or "max"' })
      .default(1)
      .describe("candump: replay pace: 1 = capture time, 10 = ten times faster, max = as fast as the queue takes it."),
    loop: z.boolean().default(false).describe("candump: start again at the end of the file (timestamps keep increasing)."),
    channels: z.array(z.string()).optional().describe("candump: replay only lines of these interfaces (default: all)."),
    timestamps: z
      .enum(["capture", "restamp"])
      .default("capture")
      .describe("candump: capture = points carry the logged time (relative logs are anchored at replay start); restamp = stamped on send."),
    dbc: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe("DBC file(s) that say what the frames mean, relative to the config file. Without one, frames are only counted (see raw)."),
    naming: z
      .enum(["message", "signal"])
      .default("message")
      .describe("Metric names: message = <message>.<signal>; signal = the bare signal name (when names are unique)."),
    labels: z
      .boolean()
      .default(true)
      .describe("For signals with a value table (VAL_): also send the label as an event <metric>.label when it changes."),
    raw: z
      .enum(["none", "unknown", "all"])
      .default("none")
      .describe("Send frames as hex events raw.<ID>: none, only frames the DBC does not know, or all frames."),
    j1939: z.boolean().default(false).describe("J1939: match 29-bit frames to DBC messages by PGN and tag points with source_address."),
    bus: z
      .string()
      .optional()
      .describe("The `bus` tag on every point (default: the interface name: can0, the log's interface, the slcan device)."),
    include: z
      .array(z.string())
      .optional()
      .describe("Decode only signals matching these patterns (Message.Signal, * wildcards, e.g. EngineData.*)."),
    exclude: z.array(z.string()).default([]).describe("Never send signals matching these patterns (Message.Signal, * wildcards)."),
    ...filterShape,
    signals: z
      .record(z.string(), z.strictObject(filterShape))
      .default({})
      .describe(
        "Per-signal on_change/deadband/max_rate/heartbeat, keyed by pattern (Message.Signal, Signal or Message.*); first match wins.",
      ),
    filters: z
      .array(
        z.strictObject({
          id: z.number().int().nonnegative().describe("The id to match (after the mask)."),
          mask: z.number().int().nonnegative().optional().describe("Bits of the id that must match (default: all 11 or 29)."),
          extended: z.boolean().default(false).describe("Match 29-bit ids."),
          invert: z.boolean().default(false).describe("Pass frames that do NOT match."),
        }),
      )
      .default([])
      .describe("Accept only frames matching one of these (socketcan: set in the kernel; slcan/candump: applied on receipt)."),
    health_interval: duration()
      .default(10_000)
      .describe("How often to send bus health metrics (bus.frames_per_s, bus.error_frames…); 0 turns them off."),
    reconnect_min: duration().default(500).describe("First wait before reopening a lost socketcan interface or slcan device."),
    reconnect_max: duration().default(30_000).describe("Longest wait between reopen attempts (the wait doubles, with jitter)."),
  })
  .superRefine((options, ctx) => {
    if (options.interface === "slcan") {
      if (!options.device) ctx.addIssue({ code: "custom", path: ["device"], message: "interface: slcan needs device (e.g. /dev/ttyACM0)" });
      if (!SLCAN_BITRATES[options.bitrate]) {
        ctx.addIssue({
          code: "custom",
          path: ["bitrate"],
          message: `slcan bitrate must be one of ${Object.keys(SLCAN_BITRATES).join(", ")}`,
        });
      }
    }
    if (options.interface === "candump") {
      if (!options.file)
        ctx.addIssue({ code: "custom", path: ["file"], message: "interface: candump needs file (a candump log, or - for stdin)" });
      if (options.file === "-" && options.loop)
        ctx.addIssue({ code: "custom", path: ["loop"], message: "loop is impossible when reading stdin" });
    }
    if (options.reconnect_max < options.reconnect_min) {
      ctx.addIssue({ code: "custom", path: ["reconnect_max"], message: "reconnect_max must be at least reconnect_min" });
    }
  });

export type CanOptions = z.output<typeof canOptions>;
export type FilterOptions = { on_change?: boolean; deadband?: number; max_rate?: number; heartbeat?: number };

export function dbcFiles(options: CanOptions): string[] {
  if (options.dbc === undefined) return [];
  return Array.isArray(options.dbc) ? options.dbc : [options.dbc];
}
