/**
 * Talking back to the vehicle: finds it by its HEARTBEAT, asks for stream rates when it appears
 * (and reappears), sends an optional GCS heartbeat, and runs dashboard commands that the config
 * allows, answering with the vehicle's COMMAND_ACK.
 */
import type { CommandResult } from "../../src/adapter-contract.js";
import type { Logger } from "../../src/log.js";
import type { Dialect } from "./dialect.js";
import { encodeFrame } from "./encode.js";
import { type RawFrame, SIGNATURE_EPOCH_MS, signFrame } from "./framing.js";
import { type HeartbeatView, MAV_AUTOPILOT_INVALID, MAV_TYPE_GCS, modeName, resultName, setModeParams } from "./modes.js";
import type { CommandName, MavlinkOptions } from "./options.js";

const MSG_HEARTBEAT = 0;
const MSG_REQUEST_DATA_STREAM = 66;
const MSG_COMMAND_LONG = 76;
const MSG_COMMAND_ACK = 77;
const IFLAG_SIGNED = 0x01;
const MAV_CMD_COMPONENT_ARM_DISARM = 400;
const MAV_CMD_DO_SET_MODE = 176;
const MAV_CMD_SET_MESSAGE_INTERVAL = 511;
const MAV_RESULT_ACCEPTED = 0;
const MAV_RESULT_IN_PROGRESS = 5;
/** param2 of MAV_CMD_COMPONENT_ARM_DISARM that overrides pre-arm checks. */
const FORCE_MAGIC = 21196;

/** The REQUEST_DATA_STREAM group that carries a message on ArduPilot (for vehicles that refuse SET_MESSAGE_INTERVAL). */
const STREAM_GROUP: Record<string, number> = {
  RAW_IMU: 1,
  SCALED_IMU2: 1,
  SCALED_PRESSURE: 1,
  SYS_STATUS: 2,
  POWER_STATUS: 2,
  MEMINFO: 2,
  MISSION_CURRENT: 2,
  GPS_RAW_INT: 2,
  NAV_CONTROLLER_OUTPUT: 2,
  RC_CHANNELS: 3,
  SERVO_OUTPUT_RAW: 3,
  GLOBAL_POSITION_INT: 6,
  LOCAL_POSITION_NED: 6,
  ATTITUDE: 10,
  SIMSTATE: 10,
  AHRS2: 10,
  VFR_HUD: 11,
  AHRS: 12,
  SYSTEM_TIME: 12,
  RANGEFINDER: 12,
  BATTERY_STATUS: 12,
  VIBRATION: 12,
};

interface Vehicle {
  sysid: number;
  compid: number;
  version: 1 | 2;
  heartbeat: HeartbeatView;
  lastSeen: number;
  present: boolean;
}

interface Ack {
  result: number;
  progress: number;
  resultParam2: number;
}

/** How one COMMAND_LONG ended: the vehicle's answer, or why there is none. */
type CommandOutcome = Ack | "no_ack" | "not_sent" | "stopped";

interface PendingAck {
  command: number;
  resolve(outcome: Ack | "stopped"): void;
}

export interface VehicleLinkDeps {
  options: MavlinkOptions;
  log: Logger;
  monotonicMs(): number;
  /** Writes a frame to the transport; false when there is no peer. */
  write(frame: Uint8Array): boolean;
  /** The link, for errors: e.g. "tcp 10.0.0.2:5760". */
  linkDescription?: string;
  /** Its definitions serialise what we send and give request_streams its message ids. */
  dialect: Dialect;
  signingKey?: Uint8Array;
  /** The link cannot carry anything back (a replay). */
  readOnly: boolean;
}

export class VehicleLink {
  private vehicle: Vehicle | undefined;
  private seq = 0;
  private signatureStamp = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<PendingAck>();
  private readonly options: MavlinkOptions;

  constructor(private readonly deps: VehicleLinkDeps) {
    this.options = deps.options;
  }

  start(): void {
    if (this.deps.readOnly) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const pending of [...this.pending]) pending.resolve("stopped");
    this.pending.clear();
  }

  /**
   * A new connection (TCP reconnected, serial port reopened): whatever is behind it may have
   * rebooted (a flight controller on USB is back within the heartbeat timeout), and stream rates
   * set with SET_MESSAGE_INTERVAL do not survive a reboot, so the next heartbeat counts as the
   * vehicle reappearing and the rates are asked for again.
   */
  linkReset(): void {
    if (this.vehicle) this.vehicle.present = false;
  }

  /** Every valid frame passes here before decoding. */
  observe(frame: RawFrame): void {
    if (frame.msgid === MSG_HEARTBEAT && frame.payload.length >= 8) this.onHeartbeat(frame);
    else if (frame.msgid === MSG_COMMAND_ACK && this.pending.size > 0) this.onAck(frame);
  }

  private onHeartbeat(frame: RawFrame) {
    const p = frame.payload;
    const heartbeat: HeartbeatView = {
      customMode: (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0,
      type: p[4],
      autopilot: p[5],
      baseMode: p[6],
      systemStatus: p[7],
    };
    if (heartbeat.autopilot === MAV_AUTOPILOT_INVALID || heartbeat.type === MAV_TYPE_GCS) return;
    const wanted = this.options.target_system;
    if (wanted !== 0 && frame.sysid !== wanted) return;
    if (this.vehicle && this.vehicle.sysid !== frame.sysid) return; // stay with the first vehicle heard
    if (this.vehicle && this.vehicle.compid !== frame.compid && frame.compid !== 1) return; // the autopilot, not a companion
    const appeared = !this.vehicle?.present;
    this.vehicle = {
      sysid: frame.sysid,
      compid: frame.compid,
      version: frame.version,
      heartbeat,
      lastSeen: this.deps.monotonicMs(),
      present: true,
    };
    if (appeared && !this.deps.readOnly) {
      this.deps.log.info("vehicle heartbeat", { system_id: frame.sysid, component_id: frame.compid, mode: modeName(heartbeat) });
      void this.requestStreams();
    }
  }

  private onAck(frame: RawFrame) {
    const p = frame.payload;
    const command = p[0] | (p[1] << 8);
    const result = p[2] ?? 0;
    const targetSystem = p[8] ?? 0;
    if (targetSystem !== 0 && targetSystem !== this.options.system_id) return;
    const progress = p[3] ?? 0;
    const resultParam2 = p.length >= 8 ? p[4] | (p[5] << 8) | (p[6] << 16) | (p[7] << 24) : 0;
    for (const pending of this.pending) {
      if (pending.command !== command) continue;
      if (result === MAV_RESULT_IN_PROGRESS) continue; // the final answer follows
      // ACKs carry no request id: the oldest request for this command gets the answer.
      this.pending.delete(pending);
      pending.resolve({ result, progress, resultParam2 });
      return;
    }
  }

  private tick() {
    const vehicle = this.vehicle;
    if (vehicle?.present && this.deps.monotonicMs() - vehicle.lastSeen > this.options.heartbeat_timeout) {
      vehicle.present = false;
      this.deps.log.warn("vehicle heartbeat lost", { system_id: vehicle.sysid, after_ms: this.options.heartbeat_timeout });
    }
    if (this.options.gcs_heartbeat) this.sendGcsHeartbeat();
  }

  private sendGcsHeartbeat() {
    this.send(MSG_HEARTBEAT, {
      type: MAV_TYPE_GCS,
      autopilot: MAV_AUTOPILOT_INVALID,
      base_mode: 0,
      custom_mode: 0,
      system_status: 4, // MAV_STATE_ACTIVE
      mavlink_version: 3,
    });
  }

  /** Asks for each configured rate with SET_MESSAGE_INTERVAL; falls back to REQUEST_DATA_STREAM when refused or unanswered. */
  async requestStreams(): Promise<void> {
    const vehicle = this.vehicle;
    if (!vehicle) return;
    const fallbackGroups = new Map<number, number>();
    await Promise.all(
      Object.entries(this.options.request_streams).map(async ([name, hz]) => {
        const message = this.deps.dialect.messageByName(name);
        if (!message) {
          this.deps.log.warn("request_streams: unknown message", { message: name });
          return;
        }
        const interval = hz > 0 ? Math.round(1e6 / hz) : -1;
        const ack = await this.commandLong(vehicle, MAV_CMD_SET_MESSAGE_INTERVAL, [message.id, interval, 0, 0, 0, 0, 0], 1);
        if (typeof ack === "object" && ack.result === MAV_RESULT_ACCEPTED) return;
        if (ack === "stopped") return;
        const group = STREAM_GROUP[name];
        if (group === undefined) {
          // Group 0 would be MAV_DATA_STREAM_ALL: every stream at this rate, enough to swamp a
          // slow telemetry radio. Say so instead of guessing.
          this.deps.log.warn(
            "request_streams: the vehicle did not accept SET_MESSAGE_INTERVAL, and this message is in no REQUEST_DATA_STREAM group; not requested",
            {
              message: name,
            },
          );
          return;
        }
        fallbackGroups.set(group, Math.max(fallbackGroups.get(group) ?? 0, Math.ceil(hz)));
      }),
    );
    for (const [group, hz] of fallbackGroups) {
      this.send(MSG_REQUEST_DATA_STREAM, {
        target_system: vehicle.sysid,
        target_component: vehicle.compid,
        req_stream_id: group,
        req_message_rate: hz,
        start_stop: hz > 0 ? 1 : 0,
      });
    }
    if (fallbackGroups.size) this.deps.log.info("requested streams with REQUEST_DATA_STREAM", { groups: [...fallbackGroups.keys()] });
  }

  /** The dashboard's mavlink_command. Throws (refuses) unless the config allows it. */
  async command(params: Record<string, unknown>): Promise<CommandResult> {
    const name = params.command;
    if (name !== "arm" && name !== "disarm" && name !== "set_mode") {
      throw new Error(`unknown mavlink_command "${String(name)}" (known: arm, disarm, set_mode)`);
    }
    if (!this.options.allow_commands.includes(name as CommandName)) {
      throw new Error(`mavlink_command "${name}" is not allowed: add it to allow_commands in this adapter's config to permit it`);
    }
    if (this.deps.readOnly) throw new Error(`mavlink_command "${name}": the connection is a replay, there is no vehicle to command`);
    const vehicle = this.vehicle;
    if (!vehicle?.present) throw new Error(`mavlink_command "${name}": no vehicle heartbeat, nothing to command`);

    let command: number;
    let args: number[];
    if (name === "set_mode") {
      const mode = params.mode;
      if (typeof mode !== "string" && typeof mode !== "number")
        throw new Error('set_mode needs "mode" (a name such as GUIDED, or a custom_mode number)');
      command = MAV_CMD_DO_SET_MODE;
      args = [...setModeParams(vehicle.heartbeat, mode), 0, 0, 0, 0];
    } else {
      command = MAV_CMD_COMPONENT_ARM_DISARM;
      args = [name === "arm" ? 1 : 0, params.force === true ? FORCE_MAGIC : 0, 0, 0, 0, 0, 0];
    }
    const ack = await this.commandLong(vehicle, command, args, 3);
    const link = this.deps.linkDescription ? ` (${this.deps.linkDescription})` : "";
    if (ack === "not_sent")
      throw new Error(`mavlink_command "${name}": not sent, the link to system ${vehicle.sysid} is down${link}; try again once it is back`);
    if (ack === "stopped") throw new Error(`mavlink_command "${name}": the adapter stopped before system ${vehicle.sysid} answered`);
    if (ack === "no_ack")
      throw new Error(
        `mavlink_command "${name}": no COMMAND_ACK from system ${vehicle.sysid} within ${this.options.command_timeout} ms (3 attempts)${link}`,
      );
    return {
      command: name,
      system_id: vehicle.sysid,
      accepted: ack.result === MAV_RESULT_ACCEPTED,
      command_ack: {
        command,
        result: ack.result,
        result_name: resultName(ack.result),
        progress: ack.progress,
        result_param2: ack.resultParam2,
      },
    };
  }

  /**
   * Sends COMMAND_LONG up to `attempts` times (confirmation 0, 1, …) until acknowledged. A send
   * that fails (no peer, TCP reconnecting, serial unplugged) ends it at once: nothing went out, and
   * its pending entry must not stay behind to swallow the ACK of a later command.
   */
  private async commandLong(vehicle: Vehicle, command: number, args: number[], attempts: number): Promise<CommandOutcome> {
    for (let confirmation = 0; confirmation < attempts; confirmation++) {
      const [param1, param2, param3, param4, param5, param6, param7] = args;
      const message = {
        target_system: vehicle.sysid,
        target_component: vehicle.compid,
        command,
        confirmation,
        param1,
        param2,
        param3,
        param4,
        param5,
        param6,
        param7,
      };
      const outcome = await new Promise<CommandOutcome>((resolve) => {
        const settle = (value: CommandOutcome) => {
          clearTimeout(timer);
          this.pending.delete(pending);
          resolve(value);
        };
        const pending: PendingAck = { command, resolve: settle };
        const timer = setTimeout(() => settle("no_ack"), this.options.command_timeout);
        this.pending.add(pending);
        if (!this.send(MSG_COMMAND_LONG, message)) settle("not_sent");
      });
      if (outcome !== "no_ack") return outcome;
    }
    return "no_ack";
  }

  private send(msgid: number, values: Record<string, number>): boolean {
    const message = this.deps.dialect.message(msgid);
    if (!message) throw new Error(`message ${msgid} is in no dialect`); // HEARTBEAT, REQUEST_DATA_STREAM, COMMAND_LONG are in both
    const header = { sysid: this.options.system_id, compid: this.options.component_id, seq: this.seq };
    this.seq = (this.seq + 1) & 0xff;
    const key = this.deps.signingKey;
    if (key && this.options.signing !== "ignore") {
      // Receivers drop a signed frame whose timestamp is not newer than the last: never repeat one.
      this.signatureStamp = Math.max(this.signatureStamp + 1, Math.floor((Date.now() - SIGNATURE_EPOCH_MS) * 100));
      const frame = encodeFrame(message, values, { ...header, version: 2, incompatFlags: IFLAG_SIGNED });
      return this.deps.write(signFrame(frame, key, 0, this.signatureStamp));
    }
    // Answer in the vehicle's own protocol version: a MAVLink 1 autopilot may ignore MAVLink 2.
    return this.deps.write(encodeFrame(message, values, { ...header, version: this.vehicle?.version === 1 ? 1 : 2 }));
  }
}
