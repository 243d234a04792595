/** Payload decoding: real units, sentinels, arrays, strings, heartbeat events, filters and decimation. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type DecoderOptions, MessageDecoder } from "../../../adapters/mavlink/decode.js";
import { dialect } from "../../../adapters/mavlink/dialect.js";
import { FrameParser, type RawFrame } from "../../../adapters/mavlink/framing.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import { ARDUSUB_TLOG, byMetric, FIXTURES, invalidPoints } from "./helpers.js";

const vectors = JSON.parse(readFileSync(`${FIXTURES}mavlink_frame_vectors.json`, "utf8")).frames as {
  frame_hex: string;
  expect_valid: boolean;
  message?: string;
  note?: string;
}[];
const messages = dialect("ardupilotmega");

function framesOf(bytes: Uint8Array, tlog = false): RawFrame[] {
  const frames: RawFrame[] = [];
  const parser = new FrameParser({
    tlog,
    crcExtra: (id) => messages.crcExtra(id),
    onFrame: (frame) => frames.push({ ...frame, payload: Uint8Array.from(frame.payload) }),
    onProblem: () => {},
  });
  parser.push(bytes, true);
  return frames;
}

function decoder(options: Partial<DecoderOptions> = {}) {
  const counts = new Map<string, number>();
  const count = (name: string, n = 1) => counts.set(name, (counts.get(name) ?? 0) + n);
  return { decoder: new MessageDecoder(messages, { angles: "radians", include: [], exclude: [], rates: {}, count, ...options }), counts };
}

function decodeVector(index: number, options: Partial<DecoderOptions> = {}): Record<string, PointInput> {
  const { decoder: d } = decoder(options);
  const out: PointInput[] = [];
  for (const frame of framesOf(Buffer.from(vectors[index].frame_hex, "hex"))) d.decode(frame, 0, undefined, out);
  return Object.fromEntries(out.map((point) => [point.metric, point]));
}

const ardusubFrames = framesOf(readFileSync(ARDUSUB_TLOG), true);

describe("MAVLink decode", () => {
  it("GPS_RAW_INT: degE7 → deg, mm → m, cm/s → m/s, cdeg → deg, with unit tags", () => {
    const points = decodeVector(0);
    expect(points["gps_raw_int.lat"].value).toBe(4.7123456);
    expect(points["gps_raw_int.lat"].tags).toEqual({ system_id: "42", component_id: "150", unit: "deg" });
    expect(points["gps_raw_int.lon"].value).toBe(0.8123456);
    expect(points["gps_raw_int.alt"]).toMatchObject({ value: 50, tags: { unit: "m" } });
    expect(points["gps_raw_int.vel"]).toMatchObject({ value: 12.35, tags: { unit: "m/s" } });
    expect(points["gps_raw_int.cog"]).toMatchObject({ value: 12.34, tags: { unit: "deg" } });
    expect(points["gps_raw_int.fix_type"].value).toBe(3); // an enum stays a number
    expect(points["gps_raw_int.satellites_visible"].value).toBe(9);
    expect(points["gps_raw_int.time_usec"]).toMatchObject({ value: 123456789, tags: { unit: "us" } });
    // A MAVLink 1 frame carries no extension fields: none are invented.
    expect(points["gps_raw_int.alt_ellipsoid"]).toBeUndefined();
  });

  it("reads 64-bit integers beyond 2^53 as the nearest number", () => {
    expect(decodeVector(1)["gps_raw_int.time_usec"].value).toBe(Number(1152221500606846977n));
  });

  it("BATTERY_STATUS: array per index, mV → V, UINT16_MAX cells and INT16_MAX temperature skipped", () => {
    const index = vectors.findIndex((v) => v.message === "BATTERY_STATUS" && v.note?.includes("truncated to 36"));
    const points = decodeVector(index);
    expect(points["battery_status.voltages.0"]).toMatchObject({ value: 12.587, tags: { unit: "V" } });
    for (let cell = 1; cell < 10; cell++) expect(points[`battery_status.voltages.${cell}`]).toBeUndefined();
    expect(points["battery_status.temperature"]).toBeUndefined();
    expect(points["battery_status.battery_remaining"]).toMatchObject({ value: 100, tags: { unit: "%" } });
    expect(points["battery_status.current_battery"]).toMatchObject({ value: 0, tags: { unit: "A" } });
  });

  it("BATTERY_STATUS from rust-mavlink: cA → A, cdegC → degC, every cell a metric", () => {
    const index = vectors.findIndex((v) => v.message === "BATTERY_STATUS" && v.frame_hex.startsWith("fd290000580b"));
    const points = decodeVector(index);
    expect(points["battery_status.current_battery"].value).toBe(187.95);
    expect(points["battery_status.temperature"]).toMatchObject({ value: 176.51, tags: { unit: "degC" } });
    expect(points["battery_status.voltages.9"].value).toBe(17.764);
    expect(points["battery_status.time_remaining"].value).toBe(963499336);
  });

  it("PARAM_VALUE: the param id is an event", () => {
    const index = vectors.findIndex((v) => v.message === "PARAM_VALUE" && v.frame_hex.includes("5f484153485f"));
    const points = decodeVector(index);
    expect(points["param_value.param_id"].value).toBe("_HASH_CHECK");
    expect(points["param_value.param_type"].value).toBe(5);
  });

  it("HEARTBEAT: numeric fields, armed, and mode/state events only when they change", () => {
    const { decoder: d } = decoder();
    const hb = framesOf(Buffer.from(vectors.find((v) => v.frame_hex.startsWith("fd090000ef01"))!.frame_hex, "hex"));
    const first: PointInput[] = [];
    d.decode(hb[0], 0, undefined, first);
    const points = Object.fromEntries(first.map((p) => [p.metric, p.value]));
    expect(points).toMatchObject({ "heartbeat.custom_mode": 5, "heartbeat.type": 2, "heartbeat.base_mode": 89, "heartbeat.armed": 0 });
    // QUADROTOR on ArduPilot: custom_mode 5 is LOITER; system_status 3 is STANDBY.
    expect(points["heartbeat.mode"]).toBe("LOITER");
    expect(points["heartbeat.state"]).toBe("STANDBY");
    const again: PointInput[] = [];
    d.decode(hb[0], 1000, undefined, again);
    expect(byMetric(again, "heartbeat.mode")).toHaveLength(0);
    expect(byMetric(again, "heartbeat.custom_mode")).toHaveLength(1);
  });

  it("decodes the ArduSub capture: flight mode names, STATUSTEXT with severity, no invalid point", () => {
    const { decoder: d } = decoder();
    const out: PointInput[] = [];
    for (const frame of ardusubFrames) d.decode(frame, frame.timestampUs! / 1000, frame.timestampUs! / 1000, out);
    expect(invalidPoints(out)).toEqual([]);
    const modes = byMetric(out, "heartbeat.mode").filter((p) => p.tags?.system_id === "1" && p.tags.component_id === "1");
    expect(modes.length).toBeGreaterThan(0);
    for (const mode of modes)
      expect(["MANUAL", "STABILIZE", "ALT_HOLD", "DEPTH_HOLD", "POSHOLD", "SURFACE", "ACRO", "GUIDED", "AUTO"]).toContain(mode.value);
    const texts = byMetric(out, "statustext.text");
    expect(texts.length).toBe(4);
    for (const text of texts) {
      expect(typeof text.value).toBe("string");
      expect(text.tags?.severity).toMatch(/^(EMERGENCY|ALERT|CRITICAL|ERROR|WARNING|NOTICE|INFO|DEBUG)$/);
    }
    const attitude = byMetric(out, "attitude.roll");
    expect(attitude.length).toBe(5245);
    for (const roll of attitude) expect(Math.abs(roll.value as number)).toBeLessThanOrEqual(Math.PI);
  });

  it("SCALED_IMU2 from the capture: mG is milli-g (acceleration) → m/s/s, mgauss → gauss", () => {
    const { decoder: d } = decoder();
    const out: PointInput[] = [];
    for (const frame of ardusubFrames.filter((f) => f.msgid === 116)) d.decode(frame, 0, undefined, out);
    const zacc = byMetric(out, "scaled_imu2.zacc");
    expect(zacc.length).toBe(528);
    expect(zacc[0].tags?.unit).toBe("m/s/s"); // was "gauss"
    expect(byMetric(out, "scaled_imu2.xmag")[0]).toMatchObject({ value: -0.289, tags: { unit: "gauss" } });
    // A level vehicle's z axis reads -1000 mG: one standard gravity, downwards (it was -1 "gauss").
    const one: PointInput[] = [];
    const frame = ardusubFrames.find((f) => f.msgid === 116)!;
    const payload = Uint8Array.from(frame.payload);
    new DataView(payload.buffer).setInt16(8, -1000, true); // zacc
    d.decode({ ...frame, payload }, 0, undefined, one);
    expect(byMetric(one, "scaled_imu2.zacc")[0].value).toBeCloseTo(-9.80665, 10);
  });

  it("names every field in lower snake case, camelCase ones of the XML included", () => {
    const { decoder: d } = decoder();
    const out: PointInput[] = [];
    for (const frame of ardusubFrames) d.decode(frame, 0, undefined, out);
    const names = new Set(out.map((p) => p.metric));
    // AHRS.omegaIx, POWER_STATUS.Vservo, HWSTATUS.I2Cerr in the XML.
    for (const name of ["ahrs.omega_ix", "ahrs.omega_iy", "power_status.vservo", "hwstatus.vcc", "hwstatus.i2cerr"])
      expect(names).toContain(name);
    expect(names).not.toContain("ahrs.omegaix");
    // Every field of every message of the dialect, from a payload of 0x01 bytes.
    for (const id of messages.ids()) {
      d.decode(
        { version: 2, seq: 0, sysid: 1, compid: 1, msgid: id, payload: new Uint8Array(255).fill(1), signed: false, bytes: 0 },
        0,
        undefined,
        out,
      );
    }
    const all = new Set(out.map((p) => p.metric));
    for (const name of ["camera_settings.zoom_level", "uavionix_adsb_out_dynamic.baro_alt_msl", "uavionix_adsb_out_dynamic.vel_ew"])
      expect(all).toContain(name);
    expect([...all].filter((name) => !/^[a-z0-9]+(_[a-z0-9]+)*\.[a-z0-9]+(_[a-z0-9]+)*(\.\d+)?$/.test(name))).toEqual([]);
  });

  it("angles: degrees turns rad and rad/s fields into deg and deg/s", () => {
    const attitude = ardusubFrames.find((f) => f.msgid === 30)!;
    const radians: PointInput[] = [];
    const degrees: PointInput[] = [];
    decoder().decoder.decode(attitude, 0, undefined, radians);
    decoder({ angles: "degrees" }).decoder.decode(attitude, 0, undefined, degrees);
    const rad = byMetric(radians, "attitude.yaw")[0];
    const deg = byMetric(degrees, "attitude.yaw")[0];
    expect(rad.tags?.unit).toBe("rad");
    expect(deg.tags?.unit).toBe("deg");
    expect(deg.value as number).toBeCloseTo(((rad.value as number) * 180) / Math.PI, 9);
    expect(byMetric(degrees, "attitude.yawspeed")[0].tags?.unit).toBe("deg/s");
  });

  it("include and exclude select messages", () => {
    const only = decoder({ include: ["ATTITUDE"] }).decoder;
    const without = decoder({ exclude: ["ATTITUDE"] }).decoder;
    const a: PointInput[] = [];
    const b: PointInput[] = [];
    for (const frame of ardusubFrames.slice(0, 2000)) {
      only.decode(frame, 0, undefined, a);
      without.decode(frame, 0, undefined, b);
    }
    expect(a.length).toBeGreaterThan(0);
    expect(a.every((p) => p.metric.startsWith("attitude."))).toBe(true);
    expect(b.some((p) => p.metric.startsWith("attitude."))).toBe(false);
  });

  it("rates decimate each message to its maximum rate by capture time", () => {
    const { decoder: d } = decoder({ rates: { ATTITUDE: 2 } });
    const out: PointInput[] = [];
    const attitude = ardusubFrames.filter((f) => f.msgid === 30 && f.sysid === 1 && f.compid === 1);
    for (const frame of attitude) d.decode(frame, frame.timestampUs! / 1000, undefined, out);
    const seconds = (attitude[attitude.length - 1].timestampUs! - attitude[0].timestampUs!) / 1e6;
    const rolls = byMetric(out, "attitude.roll").length;
    expect(attitude.length / seconds).toBeGreaterThan(10); // the capture's own rate
    expect(rolls / seconds).toBeLessThanOrEqual(2.05);
    expect(rolls / seconds).toBeGreaterThan(1.8);
  });
});
