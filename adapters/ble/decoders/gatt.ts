/**
 * Standard GATT characteristics the adapter decodes without configuration (Bluetooth GATT
 * Specification Supplement): 2A37 Heart Rate Measurement, 2A19 Battery Level, 2A6E/2A6F/2A6D
 * Environmental Sensing temperature, humidity and pressure, 2A5B Cycling Speed and Cadence
 * Measurement. Values are little-endian. Custom characteristics use the shared typed-field
 * layouts instead (src/decoding/typed-field-schema.ts). Pure.
 */
import { type DecodeResult, type Reading, roundTo } from "./reading.js";

/** Short UUID (lower-case hex, no 0x) → decoder. */
export const STANDARD_CHARACTERISTICS: Record<string, (value: Buffer) => DecodeResult> = {
  "2a37": heartRate,
  "2a19": batteryLevel,
  "2a6e": (v) =>
    v.length === 2 && v.readInt16LE(0) !== -0x8000 ? one("temperature", roundTo(v.readInt16LE(0) * 0.01, 0.01), "°C") : invalid(),
  "2a6f": (v) => (v.length === 2 ? one("humidity", roundTo(v.readUInt16LE(0) * 0.01, 0.01), "%") : invalid()),
  "2a6d": (v) => (v.length === 4 ? one("pressure", roundTo(v.readUInt32LE(0) / 1000, 0.001), "hPa") : invalid()),
  "2a5b": cyclingSpeedCadence,
};

export function standardCharacteristic(uuid: string): ((value: Buffer) => DecodeResult) | undefined {
  return STANDARD_CHARACTERISTICS[shortUuid(uuid)];
}

/** `0x2A37`, `2a37` or the 128-bit form `00002a37-0000-1000-8000-00805f9b34fb` → `2a37`. */
export function shortUuid(uuid: string): string {
  const hex = uuid.toLowerCase().replace(/^0x/, "").replace(/-/g, "");
  return hex.length === 32 && hex.endsWith("00001000800000805f9b34fb") ? hex.slice(4, 8) : hex;
}

const invalid = (): DecodeResult => ({ readings: [], problem: "invalid_values" });
const one = (quantity: string, value: number, unit?: string): DecodeResult => ({ readings: [{ quantity, value, unit }] });

/**
 * The heart rate (uint8 or uint16), sensor contact when supported, energy expended (kJ) and each
 * RR interval (1/1024 s, sent in seconds). A value longer than 20 bytes (ATT_MTU 23 − 3, the size
 * the Heart Rate Service fits a notification into by dropping old RR intervals) is refused.
 */
function heartRate(v: Buffer): DecodeResult {
  if (v.length < 2 || v.length > 20) return invalid();
  const flags = v[0];
  const wide = (flags & 0x01) !== 0;
  let offset = 1;
  if (v.length < offset + (wide ? 2 : 1)) return invalid();
  const readings: Reading[] = [{ quantity: "heart_rate", value: wide ? v.readUInt16LE(1) : v[1], unit: "bpm" }];
  offset += wide ? 2 : 1;
  if (flags & 0x04) readings.push({ quantity: "sensor_contact", value: (flags & 0x02) !== 0 });
  if (flags & 0x08) {
    if (v.length < offset + 2) return invalid();
    readings.push({ quantity: "energy_expended", value: v.readUInt16LE(offset), unit: "kJ" });
    offset += 2;
  }
  if (flags & 0x10) {
    if ((v.length - offset) % 2 !== 0) return invalid();
    for (; offset < v.length; offset += 2) readings.push({ quantity: "rr_interval", value: v.readUInt16LE(offset) / 1024, unit: "s" });
  }
  return { readings };
}

function batteryLevel(v: Buffer): DecodeResult {
  return v.length === 1 && v[0] <= 100 ? one("battery", v[0], "%") : invalid();
}

/** Cumulative revolutions and last event times (1/1024 s, sent in seconds); speed and cadence are their rates of change. */
function cyclingSpeedCadence(v: Buffer): DecodeResult {
  if (v.length < 1) return invalid();
  const flags = v[0];
  const readings: Reading[] = [];
  let offset = 1;
  if (flags & 0x01) {
    if (v.length < offset + 6) return invalid();
    readings.push({ quantity: "wheel_revolutions", value: v.readUInt32LE(offset) });
    readings.push({ quantity: "wheel_event_time", value: v.readUInt16LE(offset + 4) / 1024, unit: "s" });
    offset += 6;
  }
  if (flags & 0x02) {
    if (v.length < offset + 4) return invalid();
    readings.push({ quantity: "crank_revolutions", value: v.readUInt16LE(offset) });
    readings.push({ quantity: "crank_event_time", value: v.readUInt16LE(offset + 2) / 1024, unit: "s" });
  }
  return { readings };
}
