/** Shared by the MAVLink tests: real capture records, frames a scripted vehicle sends, point checks. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { common, type MavLinkData, MavLinkProtocolV2, minimal } from "node-mavlink";
import type { PointInput } from "../../../src/pipeline/point.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/mavlink/", import.meta.url));
export const ARDUSUB_TLOG = `${FIXTURES}ardusub_small.tlog`;

export interface TlogRecord {
  timestampUs: number;
  /** The frame bytes, without the tlog timestamp. */
  frame: Buffer;
}

/** Splits a v2 tlog into records by the frame lengths (independently of the adapter's parser). */
export function readTlogRecords(path = ARDUSUB_TLOG): TlogRecord[] {
  const bytes = readFileSync(path);
  const records: TlogRecord[] = [];
  let at = 0;
  while (at + 18 <= bytes.length && bytes[at + 8] === 0xfd) {
    const length = 10 + bytes[at + 9] + 2 + (bytes[at + 10] & 1 ? 13 : 0);
    records.push({ timestampUs: Number(bytes.readBigUInt64BE(at)), frame: bytes.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return records;
}

export function tlogBytes(records: TlogRecord[]): Buffer {
  return Buffer.concat(
    records.flatMap((record) => {
      const stamp = Buffer.alloc(8);
      stamp.writeBigUInt64BE(BigInt(record.timestampUs));
      return [stamp, record.frame];
    }),
  );
}

export function msgid(frame: Uint8Array): number {
  return frame[7] | (frame[8] << 8) | (frame[9] << 16);
}

let seq = 0;
/** A frame as a vehicle (system 1, component 1 by default) would send it. */
export function vehicleFrame(message: MavLinkData, sysid = 1, compid = 1): Buffer {
  return new MavLinkProtocolV2(sysid, compid).serialize(message, seq++ & 0xff);
}

export function arduSubHeartbeat(customMode = 19, armed = false): Buffer {
  const heartbeat = new minimal.Heartbeat();
  heartbeat.type = 12 as minimal.MavType; // SUBMARINE
  heartbeat.autopilot = 3 as minimal.MavAutopilot; // ARDUPILOTMEGA
  heartbeat.baseMode = ((armed ? 128 : 0) | 1 | 64) as minimal.MavModeFlag;
  heartbeat.customMode = customMode;
  heartbeat.systemStatus = 3 as minimal.MavState; // STANDBY
  heartbeat.mavlinkVersion = 3;
  return vehicleFrame(heartbeat);
}

export function commandAck(command: number, result: number, targetSystem = 255, targetComponent = 190): Buffer {
  const ack = new common.CommandAck();
  ack.command = command as common.MavCmd;
  ack.result = result as common.MavResult;
  ack.targetSystem = targetSystem;
  ack.targetComponent = targetComponent;
  return vehicleFrame(ack);
}

/** Reads COMMAND_LONG fields from a frame the adapter sent (MAVLink 2 may have truncated the payload). */
export function readCommandLong(frame: { payload: Uint8Array; sysid: number; compid: number; version?: 1 | 2 }) {
  const payload = Buffer.alloc(33);
  payload.set(frame.payload.subarray(0, 33));
  return {
    param1: payload.readFloatLE(0),
    param2: payload.readFloatLE(4),
    command: payload.readUInt16LE(28),
    targetSystem: payload[30],
    targetComponent: payload[31],
    sysid: frame.sysid,
    compid: frame.compid,
    version: frame.version,
  };
}

/**
 * Why the gateway would refuse a point (PLEXUS-PROTOCOL.md: finite numbers, names and strings
 * ≤ 256 bytes, ≤ 16 flat string tags), or undefined. Plain code rather than expect(): it runs over
 * hundreds of thousands of points.
 */
export function pointProblem(point: PointInput): string | undefined {
  if (typeof point.metric !== "string" || point.metric.length === 0) return "empty metric";
  if (Buffer.byteLength(point.metric) > 256) return `metric longer than 256 bytes: ${point.metric}`;
  const value = point.value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `${point.metric}: non-finite ${value}`;
  } else if (typeof value === "string") {
    if (Buffer.byteLength(value) > 256) return `${point.metric}: string longer than 256 bytes`;
  } else if (typeof value !== "boolean") return `${point.metric}: unexpected value type ${typeof value}`;
  const tags = Object.entries(point.tags ?? {});
  if (tags.length > 16) return `${point.metric}: ${tags.length} tags`;
  for (const [key, tag] of tags) {
    if (typeof tag !== "string") return `${point.metric}: tag ${key} is not a string`;
    if (Buffer.byteLength(key) > 256 || Buffer.byteLength(tag) > 256) return `${point.metric}: tag ${key} longer than 256 bytes`;
  }
  if (point.timestamp !== undefined && !Number.isFinite(point.timestamp)) return `${point.metric}: bad timestamp`;
  return undefined;
}

/** Every problem found in the points (empty when all are valid). */
export function invalidPoints(points: PointInput[]): string[] {
  const problems: string[] = [];
  for (const point of points) {
    const problem = pointProblem(point);
    if (problem) problems.push(problem);
  }
  return problems;
}

export function byMetric(points: PointInput[], metric: string): PointInput[] {
  return points.filter((point) => point.metric === metric);
}
