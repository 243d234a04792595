/**
 * Ruuvi manufacturer data (company id 0x0499), formats 3 (RAWv1), 5 (RAWv2), 6 and E1 (Ruuvi Air),
 * after the company id. Each format's "not available" sentinel gives no reading rather than a
 * wrong one. Accelerations are converted from mG to m/s², the battery from mV to V; pressure is
 * in hPa. Pure.
 */
import type { DecodeResult, Reading } from "./reading.js";
import { roundTo } from "./reading.js";

export const RUUVI_COMPANY_ID = 0x0499;

const G = 9.80665;

export function decodeRuuvi(data: Uint8Array): DecodeResult {
  const bytes = Buffer.from(data);
  switch (bytes[0]) {
    case 0x03:
      return bytes.length >= 14 ? format3(bytes) : malformed();
    case 0x05:
      return bytes.length >= 24 ? format5(bytes) : malformed();
    case 0x06:
      return bytes.length >= 20 ? format6(bytes) : malformed();
    case 0xe1:
      return bytes.length >= 40 ? formatE1(bytes) : malformed();
    default:
      return { readings: [], problem: "unsupported_format" };
  }
}

const malformed = (): DecodeResult => ({ readings: [], problem: "malformed" });

function push(readings: Reading[], quantity: string, value: number | boolean | undefined, unit?: string): void {
  if (value !== undefined) readings.push({ quantity, value, unit });
}

const acceleration = (mg: number) => roundTo((mg * G) / 1000, 0.00001);

/** RAWv1: humidity 0.5 %, temperature as sign-magnitude integer + hundredths, pressure +50 kPa, acceleration mG, battery mV. */
function format3(b: Buffer): DecodeResult {
  const readings: Reading[] = [];
  const magnitude = (b[2] & 0x7f) + b[3] / 100;
  push(readings, "temperature", roundTo(b[2] & 0x80 ? -magnitude : magnitude, 0.01), "°C");
  push(readings, "humidity", b[1] * 0.5, "%");
  push(readings, "pressure", roundTo((b.readUInt16BE(4) + 50_000) / 100, 0.01), "hPa");
  push(readings, "acceleration_x", acceleration(b.readInt16BE(6)), "m/s²");
  push(readings, "acceleration_y", acceleration(b.readInt16BE(8)), "m/s²");
  push(readings, "acceleration_z", acceleration(b.readInt16BE(10)), "m/s²");
  push(readings, "battery_voltage", b.readUInt16BE(12) / 1000, "V");
  return { readings };
}

/** RAWv2, with its invalid values: 0x8000 for signed fields, all ones for unsigned ones. */
function format5(b: Buffer): DecodeResult {
  const readings: Reading[] = [];
  environment(b, readings);
  for (const [i, axis] of ["x", "y", "z"].entries()) {
    const mg = b.readInt16BE(7 + i * 2);
    push(readings, `acceleration_${axis}`, mg === -0x8000 ? undefined : acceleration(mg), "m/s²");
  }
  const power = b.readUInt16BE(13);
  const battery = power >> 5;
  const tx = power & 0x1f;
  push(readings, "battery_voltage", battery === 0x7ff ? undefined : (battery + 1600) / 1000, "V");
  push(readings, "tx_power", tx === 0x1f ? undefined : tx * 2 - 40, "dBm");
  push(readings, "movement_counter", b[15] === 0xff ? undefined : b[15]);
  const sequence = b.readUInt16BE(16);
  push(readings, "measurement_sequence", sequence === 0xffff ? undefined : sequence);
  return { readings, packetId: sequence === 0xffff ? undefined : sequence };
}

/** Temperature, humidity and pressure: the same encoding and offsets in formats 5, 6 and E1. */
function environment(b: Buffer, readings: Reading[]): void {
  const temperature = b.readInt16BE(1);
  const humidity = b.readUInt16BE(3);
  const pressure = b.readUInt16BE(5);
  push(readings, "temperature", temperature === -0x8000 ? undefined : roundTo(temperature * 0.005, 0.005), "°C");
  push(readings, "humidity", humidity === 0xffff ? undefined : roundTo(humidity * 0.0025, 0.0025), "%");
  push(readings, "pressure", pressure === 0xffff ? undefined : roundTo((pressure + 50_000) / 100, 0.01), "hPa");
}

const tenth = (raw: number) => (raw === 0xffff ? undefined : roundTo(raw * 0.1, 0.1));
const whole = (raw: number) => (raw === 0xffff ? undefined : raw);
/** VOC and NOx indexes are 9 bits: 8 in their byte, the lowest in the flags byte; 511 is "not available". */
const index9 = (high: number, low: number) => {
  const value = (high << 1) | low;
  return value === 511 ? undefined : value;
};

/** Ruuvi Air, compact: PM2.5, CO2, VOC/NOx indexes, a logarithmic luminosity byte, an 8-bit sequence. */
function format6(b: Buffer): DecodeResult {
  const readings: Reading[] = [];
  environment(b, readings);
  const flags = b[16];
  push(readings, "pm2_5", tenth(b.readUInt16BE(7)), "µg/m³");
  push(readings, "co2", whole(b.readUInt16BE(9)), "ppm");
  push(readings, "voc_index", index9(b[11], (flags >> 6) & 1));
  push(readings, "nox_index", index9(b[12], (flags >> 7) & 1));
  // 0…254 on a log scale up to 65535 lx; 255 is "not available".
  push(readings, "illuminance", b[13] === 0xff ? undefined : roundTo(Math.exp((b[13] * Math.log(65_536)) / 254) - 1, 0.01), "lx");
  push(readings, "measurement_sequence", b[15]);
  push(readings, "calibration_in_progress", (flags & 1) === 1);
  return { readings, packetId: b[15] };
}

/** Ruuvi Air, extended: PM1.0/2.5/4.0/10, CO2, VOC/NOx, luminosity in 0.01 lx, a 24-bit sequence. */
function formatE1(b: Buffer): DecodeResult {
  const readings: Reading[] = [];
  environment(b, readings);
  const flags = b[28];
  push(readings, "pm1_0", tenth(b.readUInt16BE(7)), "µg/m³");
  push(readings, "pm2_5", tenth(b.readUInt16BE(9)), "µg/m³");
  push(readings, "pm4_0", tenth(b.readUInt16BE(11)), "µg/m³");
  push(readings, "pm10", tenth(b.readUInt16BE(13)), "µg/m³");
  push(readings, "co2", whole(b.readUInt16BE(15)), "ppm");
  push(readings, "voc_index", index9(b[17], (flags >> 6) & 1));
  push(readings, "nox_index", index9(b[18], (flags >> 7) & 1));
  const lux = b.readUIntBE(19, 3);
  push(readings, "illuminance", lux === 0xffffff ? undefined : roundTo(lux * 0.01, 0.01), "lx");
  const sequence = b.readUIntBE(25, 3);
  push(readings, "measurement_sequence", sequence === 0xffffff ? undefined : sequence);
  push(readings, "calibration_in_progress", (flags & 1) === 1);
  return { readings, packetId: sequence === 0xffffff ? undefined : sequence };
}
