/**
 * Options of the MAVLink adapter. Kept free of node-mavlink and mavlink-mappings: the config
 * schema loads this file for every config, whether it uses MAVLink or not.
 */
import { z } from "zod";
import { duration, rate, size } from "../../src/config/units.js";
import { parseConnection } from "./connection-url.js";

export const COMMAND_NAMES = ["arm", "disarm", "set_mode"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const messageName = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, "a MAVLink message name such as ATTITUDE")
  .transform((name) => name.toUpperCase());

export const mavlinkOptions = z
  .strictObject({
    connection: z
      .string()
      .default("udp://0.0.0.0:14550")
      .superRefine((text, ctx) => {
        try {
          parseConnection(text);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
        }
      })
      .describe(
        "Where the MAVLink stream comes from: udp://0.0.0.0:14550 (listen), udpout://host:port, tcp://host:5760, " +
          "serial:///dev/ttyACM0?baud=921600, or tlog:///path/flight.tlog?speed=1&loop=true (replay; speed=max for as fast as possible; " +
          "a path without a leading / is relative to the config file).",
      ),
    receive_buffer: size()
      .default(4 * 1024 * 1024)
      .describe(
        "udp/udpout: the socket receive buffer (SO_RCVBUF) asked of the kernel. Datagrams wait there while the bridge is busy; " +
          "when it is full the kernel drops them unseen (RcvbufErrors in /proc/net/snmp). The kernel caps it at net.core.rmem_max: " +
          "the bridge logs the size it got when capped.",
      ),
    dialect: z
      .enum(["common", "ardupilotmega"])
      .default("ardupilotmega")
      .describe("Message set used to check CRCs and decode payloads. ardupilotmega includes common."),
    angles: z.enum(["radians", "degrees"]).default("radians").describe("Unit for fields the definitions give in rad and rad/s."),
    include: z
      .array(messageName)
      .default([])
      .describe("Only these messages become points (names as in the definitions, e.g. ATTITUDE). Empty: all."),
    exclude: z.array(messageName).default([]).describe("Messages that never become points."),
    rates: z
      .record(messageName, rate())
      .default({})
      .describe(
        "Per-message maximum rate, e.g. {ATTITUDE: 10Hz}: faster messages are decimated (per system and component) before the queue.",
      ),
    restamp: z
      .boolean()
      .default(false)
      .describe("Replay only: stamp points with the time they are replayed instead of the capture's own timestamps."),
    signing_key: z
      .string()
      .min(1)
      .optional()
      .describe(
        "MAVLink 2 signing secret: 64 hex digits (the 32-byte key), or a passphrase hashed with SHA-256 as Mission Planner and QGC do.",
      ),
    signing: z
      .enum(["ignore", "accept_unsigned", "require"])
      .default("ignore")
      .describe(
        "ignore: take every frame, signed or not, without checking. accept_unsigned: check signed frames against signing_key, " +
          "take unsigned ones. require: only frames correctly signed with signing_key.",
      ),
    request_streams: z
      .record(messageName, rate())
      .default({})
      .describe(
        "Rates to ask the vehicle for, e.g. {ATTITUDE: 10Hz}, sent with MAV_CMD_SET_MESSAGE_INTERVAL (REQUEST_DATA_STREAM when the " +
          "vehicle refuses or does not answer) when its heartbeat appears and again after it reappears.",
      ),
    gcs_heartbeat: z
      .boolean()
      .default(false)
      .describe("Send a GCS HEARTBEAT every second, as ground stations do, so the vehicle sees a GCS."),
    system_id: z.number().int().min(1).max(255).default(255).describe("Our system id in frames we send."),
    component_id: z
      .number()
      .int()
      .min(0)
      .max(255)
      .default(190)
      .describe("Our component id in frames we send (190 = MAV_COMP_ID_MISSIONPLANNER)."),
    target_system: z
      .number()
      .int()
      .min(0)
      .max(255)
      .default(0)
      .describe("System id of the vehicle that stream requests and commands go to; 0: the first autopilot heard."),
    allow_commands: z
      .array(z.enum(COMMAND_NAMES))
      .default([])
      .describe(
        "Dashboard mavlink_command actions this bridge may perform (arm, disarm, set_mode). Default none: arming from the cloud must be deliberate.",
      ),
    command_timeout: duration().default(3000).describe("How long to wait for the vehicle's COMMAND_ACK, per attempt (two retries)."),
    heartbeat_timeout: duration().default(5000).describe("The vehicle counts as lost after this long without its HEARTBEAT."),
    health_interval: duration()
      .default(1000)
      .describe("Period of the link health metrics (link.frames_per_s, link.bytes_per_s, link.lost_frames, link.crc_errors). 0: off."),
  })
  .superRefine((options, ctx) => {
    if (options.signing !== "ignore" && !options.signing_key) {
      ctx.addIssue({ code: "custom", path: ["signing_key"], message: `signing: ${options.signing} needs a signing_key` });
    }
    if (options.signing_key && !isHexKey(options.signing_key) && options.signing_key.length < 8) {
      ctx.addIssue({
        code: "custom",
        path: ["signing_key"],
        message: "a signing passphrase shorter than 8 characters is too easy to guess",
      });
    }
  });

export type MavlinkOptions = z.output<typeof mavlinkOptions>;

export function isHexKey(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text);
}
