/**
 * Beacons: Apple iBeacon (manufacturer data of company 0x004C, type 0x02 0x15) and Google
 * Eddystone (service data under 0xFEAA: UID, URL and unencrypted TLM frames). A beacon says who it
 * is rather than what it measures: its identity becomes tags, its calibrated transmit power a
 * metric (with the RSSI the adapter adds, that is a distance estimate), and TLM frames give
 * battery, temperature and counters. Pure.
 */
import type { DecodeResult, Reading } from "./reading.js";

export const APPLE_COMPANY_ID = 0x004c;
export const EDDYSTONE_UUID = "feaa";

export function decodeIbeacon(data: Uint8Array): DecodeResult {
  const b = Buffer.from(data);
  if (b.length < 23 || b[0] !== 0x02 || b[1] !== 0x15) return { readings: [], problem: "not_ibeacon" };
  const hex = b.subarray(2, 18).toString("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const tags = { ibeacon_uuid: uuid, ibeacon_major: String(b.readUInt16BE(18)), ibeacon_minor: String(b.readUInt16BE(20)) };
  return { readings: [{ quantity: "tx_power", value: b.readInt8(22), unit: "dBm", tags }] };
}

const URL_SCHEMES = ["http://www.", "https://www.", "http://", "https://"];
const URL_EXPANSIONS = [
  ".com/",
  ".org/",
  ".edu/",
  ".net/",
  ".info/",
  ".biz/",
  ".gov/",
  ".com",
  ".org",
  ".edu",
  ".net",
  ".info",
  ".biz",
  ".gov",
];

export function decodeEddystone(data: Uint8Array): DecodeResult {
  const b = Buffer.from(data);
  switch (b[0]) {
    case 0x00: {
      if (b.length < 18) return { readings: [], problem: "malformed" };
      const tags = { eddystone_namespace: b.subarray(2, 12).toString("hex"), eddystone_instance: b.subarray(12, 18).toString("hex") };
      return { readings: [{ quantity: "tx_power", value: b.readInt8(1), unit: "dBm", tags }] };
    }
    case 0x10: {
      if (b.length < 3 || b[2] >= URL_SCHEMES.length) return { readings: [], problem: "malformed" };
      let url = URL_SCHEMES[b[2]];
      for (const byte of b.subarray(3)) url += byte < URL_EXPANSIONS.length ? URL_EXPANSIONS[byte] : String.fromCharCode(byte);
      return {
        readings: [
          { quantity: "tx_power", value: b.readInt8(1), unit: "dBm" },
          { quantity: "url", value: url },
        ],
      };
    }
    case 0x20:
      return tlm(b);
    default:
      return { readings: [], problem: "unsupported_format" };
  }
}

/** Unencrypted TLM (version 0): battery mV (0 = not supported), temperature 8.8 fixed point (0x8000 = not supported), counters. */
function tlm(b: Buffer): DecodeResult {
  if (b.length < 14) return { readings: [], problem: "malformed" };
  if (b[1] !== 0x00) return { readings: [], problem: "encrypted_tlm" };
  const readings: Reading[] = [];
  const battery = b.readUInt16BE(2);
  if (battery !== 0) readings.push({ quantity: "battery_voltage", value: battery / 1000, unit: "V" });
  const temperature = b.readInt16BE(4);
  if (temperature !== -0x8000) readings.push({ quantity: "temperature", value: temperature / 256, unit: "°C" });
  readings.push({ quantity: "advertisement_count", value: b.readUInt32BE(6) });
  readings.push({ quantity: "uptime", value: b.readUInt32BE(10) / 10, unit: "s" });
  return { readings };
}
