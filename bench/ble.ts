/**
 * BLE advertisement decoding throughput, per decoder, on the shared vectors (test/fixtures/ble).
 * Run: npx tsx bench/ble.ts [seconds per case, default 2]
 * Each case decodes one real payload repeatedly: BTHome plain and encrypted (AES-128-CCM),
 * Xiaomi MiBeacon plain and encrypted (v5, AES-128-CCM), Ruuvi RAWv2 and E1, an iBeacon frame, an Eddystone TLM frame; plus the whole hcidump capture
 * parsed into advertisements.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAdStructures } from "../adapters/ble/advertisement.js";
import { decodeEddystone, decodeIbeacon } from "../adapters/ble/decoders/beacons.js";
import { decodeBthome } from "../adapters/ble/decoders/bthome.js";
import { decodeRuuvi } from "../adapters/ble/decoders/ruuvi.js";
import { decodeXiaomi } from "../adapters/ble/decoders/xiaomi.js";
import { advertisingReports, parseHcidumpPackets } from "../adapters/ble/hcidump.js";

const seconds = Number(process.argv[2] ?? 2);
const FIXTURES = join(import.meta.dirname, "../test/fixtures/ble");

function measure(name: string, decode: () => unknown, unit = "advertisements") {
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) decode();
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) decode();
    count += 1000;
  }
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(
    `${name.padEnd(44)} ${Math.round(count / elapsed)
      .toLocaleString("en")
      .padStart(12)} ${unit}/s   ${(((used.user + used.system) / count) * 1000).toFixed(0).padStart(6)} ns CPU each`,
  );
}

const bthome = Buffer.from("40002e01641e012e34451601", "hex"); // packet id, battery, light, humidity, temperature
const encrypted = Buffer.from("41a47266c95f730011223378237214", "hex");
const key = Buffer.from("231d39c1d7cc1ab1aee224cd096db932", "hex");
const mibeacon = Buffer.from("5020aa01a3bf2e3b342d580d1004b40095020a10013b", "hex"); // LYWSDCGQ: temperature, humidity, battery
const mibeaconEncrypted = Buffer.from("58585b0550f4830238c1a495ef58763c26000097e2abb5", "hex"); // LYWSD03MMC, v5
const mibeaconKey = Buffer.from("e9ea895fac7cca6d30532432a516f3a8", "hex");
const ruuvi5 = Buffer.from("0512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F", "hex");
const ruuviE1 = Buffer.from("E1170C5668C79E0065007004BD11CA00C90A0213E0ACFFFFFFDECDEE11FFFFFFFFFFCBB8334C884F", "hex");
const ibeacon = Buffer.from("0215e2c56db5dffb48d2b060d0f5a71096e000010102c5", "hex");
const tlm = Buffer.from("20000bb81980000003e800008ca0", "hex");
const capture = readFileSync(join(FIXTURES, "hcidump-3.x.txt"), "utf8");

console.log(`Node ${process.version}, ${seconds} s per case`);
measure("BTHome v2 (5 objects)", () => decodeBthome({ data: bthome, address: "a4:c1:38:8d:18:b2" }));
measure("BTHome v2 encrypted (AES-128-CCM)", () => decodeBthome({ data: encrypted, address: "54:48:e6:8f:80:a5", bindkey: key }));
measure("Xiaomi MiBeacon v2 (2 objects)", () => decodeXiaomi({ data: mibeacon, address: "58:2d:34:3b:2e:bf" }));
measure("Xiaomi MiBeacon v5 encrypted (AES-128-CCM)", () =>
  decodeXiaomi({ data: mibeaconEncrypted, address: "a4:c1:38:02:83:f4", bindkey: mibeaconKey }),
);
measure("Ruuvi RAWv2 (format 5)", () => decodeRuuvi(ruuvi5));
measure("Ruuvi Air E1", () => decodeRuuvi(ruuviE1));
measure("iBeacon", () => decodeIbeacon(ibeacon));
measure("Eddystone TLM", () => decodeEddystone(tlm));
measure(
  "hcidump capture → advertisements (303 reports)",
  () => {
    for (const packet of parseHcidumpPackets(capture))
      for (const report of advertisingReports(packet).reports) parseAdStructures(report.address, report.data, report.rssi);
  },
  "captures",
);
