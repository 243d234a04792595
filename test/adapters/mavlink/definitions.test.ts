/**
 * The message definitions the adapter ships (message-definitions.ts, generated from the MAVLink
 * XML) and the frames it builds from them, checked against mavlink-mappings and node-mavlink: an
 * independent generator and serialiser of the same XML, kept as dev dependencies for this.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ardupilotmega, common, icarous, minimal, standard, uavionix } from "mavlink-mappings";
import { MavLinkProtocolV1, MavLinkProtocolV2, common as nodeCommon, minimal as nodeMinimal } from "node-mavlink";
import { describe, expect, it } from "vitest";
import { dialect, type FieldDefinition } from "../../../adapters/mavlink/dialect.js";
import { encodeFrame } from "../../../adapters/mavlink/encode.js";
import * as generated from "../../../adapters/mavlink/message-definitions.js";

const GENERATOR = fileURLToPath(new URL("../../../adapters/mavlink/tools/gen-definitions.ts", import.meta.url));
const apm = dialect("ardupilotmega");

/** One line per field, in the shape both sides can give. */
function layout(fields: readonly FieldDefinition[]): string[] {
  return fields.map((f) => `${f.name} ${f.type}${f.length ? `[${f.length}]` : ""} @${f.offset}${f.extension ? " ext" : ""} ${f.units}`);
}

interface MappingsField {
  source: string;
  type: string;
  length: number;
  offset: number;
  extension: boolean;
  units: string;
}

function mappingsLayout(fields: MappingsField[]): string[] {
  return fields.map(
    (f) =>
      `${f.source} ${f.type.replace(/\[\]$/, "")}${f.length ? `[${f.length}]` : ""} @${f.offset}${f.extension ? " ext" : ""} ${f.units}`,
  );
}

describe("MAVLink message definitions", () => {
  it("message-definitions.ts is what the generator makes of the committed XML", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", GENERATOR, "--check"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("CRC_EXTRA and field layout agree with mavlink-mappings for every message both define", () => {
    const theirs = new Map<number, { MSG_NAME: string; MAGIC_NUMBER: number; FIELDS: MappingsField[] }>();
    for (const registry of [minimal, standard, common, uavionix, icarous, ardupilotmega].map((module) => module.REGISTRY))
      for (const clazz of Object.values(registry)) theirs.set(clazz.MSG_ID, clazz as never);
    const differing: string[] = [];
    for (const id of apm.ids()) {
      const ours = apm.message(id)!;
      const other = theirs.get(id);
      if (!other) continue;
      expect([id, ours.name, ours.crcExtra]).toEqual([id, other.MSG_NAME, other.MAGIC_NUMBER]);
      if (JSON.stringify(layout(ours.fields)) !== JSON.stringify(mappingsLayout(other.FIELDS))) differing.push(ours.name);
    }
    // Our XML (mavlink/mavlink de1e078) is newer than mavlink-mappings 1.0.21-20250824: it added
    // extension fields to these two, and mavlink-mappings gives CHANGE_OPERATOR_CONTROL.version a
    // unit ("rad") that the XML does not.
    expect(differing).toEqual(["CHANGE_OPERATOR_CONTROL", "GIMBAL_DEVICE_INFORMATION", "CELLULAR_STATUS"]);
    for (const name of differing.slice(1)) {
      const ours = apm.messageByName(name)!;
      const other = mappingsLayout(theirs.get(ours.id)!.FIELDS);
      expect(layout(ours.fields).slice(0, other.length)).toEqual(other);
    }
    // And messages mavlink-mappings does not have yet.
    expect(apm.ids().filter((id) => !theirs.has(id))).toEqual([
      8, 80, 290, 291, 295, 296, 300, 345, 361, 372, 376, 380, 390, 397, 410, 411, 412, 413, 11060,
    ]);
  });

  it("keeps the XML's invalid markers on their fields", () => {
    const battery = apm.messageByName("BATTERY_STATUS")!;
    const invalid = Object.fromEntries(battery.fields.filter((f) => f.invalid).map((f) => [f.name, f.invalid]));
    expect(invalid).toMatchObject({ temperature: "INT16_MAX", voltages: "[UINT16_MAX]", current_battery: "-1", battery_remaining: "-1" });
  });

  it("names the enum values modes.ts uses as mavlink-mappings does (and MAV_RESULT's newer NOT_IN_CONTROL)", () => {
    const pairs: [Readonly<Record<number, string>>, Record<string, string | number>][] = [
      [generated.MAV_MODE_FLAG, minimal.MavModeFlag],
      [generated.MAV_STATE, minimal.MavState],
      [generated.MAV_SEVERITY, common.MavSeverity],
      [generated.MAV_RESULT, common.MavResult],
      [generated.PLANE_MODE, ardupilotmega.PlaneMode],
      [generated.COPTER_MODE, ardupilotmega.CopterMode],
      [generated.ROVER_MODE, ardupilotmega.RoverMode],
      [generated.SUB_MODE, ardupilotmega.SubMode],
      [generated.TRACKER_MODE, ardupilotmega.TrackerMode],
    ];
    for (const [ours, theirs] of pairs) {
      const expected = Object.fromEntries(Object.entries(theirs).filter(([key]) => /^\d+$/.test(key)));
      expect(ours).toEqual(ours === generated.MAV_RESULT ? { ...expected, 10: "NOT_IN_CONTROL" } : expected);
    }
  });

  it("builds the frames the adapter sends byte for byte as node-mavlink does, in MAVLink 1 and 2", () => {
    const heartbeat = new nodeMinimal.Heartbeat();
    heartbeat.type = 6 as nodeMinimal.MavType;
    heartbeat.autopilot = 8 as nodeMinimal.MavAutopilot;
    heartbeat.baseMode = 0 as nodeMinimal.MavModeFlag;
    heartbeat.systemStatus = 4 as nodeMinimal.MavState;
    heartbeat.mavlinkVersion = 3;
    const request = new nodeCommon.RequestDataStream();
    Object.assign(request, { targetSystem: 1, targetComponent: 1, reqStreamId: 6, reqMessageRate: 10, startStop: 1 });
    const command = new nodeCommon.CommandLong();
    Object.assign(command, {
      targetSystem: 1,
      targetComponent: 1,
      command: 400,
      confirmation: 2,
      _param1: 1,
      _param2: 21196,
      _param7: -0.5,
    });
    const cases: [number, Record<string, number>, object][] = [
      [0, { type: 6, autopilot: 8, base_mode: 0, custom_mode: 0, system_status: 4, mavlink_version: 3 }, heartbeat],
      [66, { target_system: 1, target_component: 1, req_stream_id: 6, req_message_rate: 10, start_stop: 1 }, request],
      [76, { target_system: 1, target_component: 1, command: 400, confirmation: 2, param1: 1, param2: 21196, param7: -0.5 }, command],
    ];
    for (const [id, values, message] of cases) {
      const header = { sysid: 255, compid: 190, seq: 7 };
      const definition = apm.message(id)!;
      const v1 = new MavLinkProtocolV1(255, 190).serialize(message as never, 7);
      const v2 = new MavLinkProtocolV2(255, 190).serialize(message as never, 7);
      const signed = new MavLinkProtocolV2(255, 190, MavLinkProtocolV2.IFLAG_SIGNED).serialize(message as never, 7);
      expect(Buffer.from(encodeFrame(definition, values, { ...header, version: 1 }))).toEqual(v1);
      expect(Buffer.from(encodeFrame(definition, values, { ...header, version: 2 }))).toEqual(v2);
      expect(Buffer.from(encodeFrame(definition, values, { ...header, version: 2, incompatFlags: 1 }))).toEqual(signed);
    }
  });

  it("refuses what it cannot encode instead of sending a wrong frame", () => {
    const header = { sysid: 255, compid: 190, seq: 0, version: 2 as const };
    expect(() => encodeFrame(apm.messageByName("COMMAND_LONG")!, { param8: 1 }, header)).toThrow(/COMMAND_LONG has no field "param8"/);
    expect(() => encodeFrame(apm.messageByName("STATUSTEXT")!, { text: 65 }, header)).toThrow(/arrays cannot be encoded/);
    expect(() => encodeFrame(apm.messageByName("PROTOCOL_VERSION")!, {}, { ...header, version: 1 })).toThrow(/cannot be sent as MAVLink 1/);
  });
});
