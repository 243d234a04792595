/**
 * iBeacon and Eddystone. shared/data/ble has no vectors for them, so these frames are built here
 * byte by byte from the published layouts (Apple's iBeacon format; Google's Eddystone UID, URL
 * and TLM specs), with the values written out beside them.
 */
import { describe, expect, it } from "vitest";
import { decodeEddystone, decodeIbeacon } from "../../../adapters/ble/decoders/beacons.js";

describe("iBeacon", () => {
  it("reads uuid, major and minor as tags and the calibrated power at 1 m as a metric", () => {
    // 02 15 | uuid e2c56db5-dffb-48d2-b060-d0f5a71096e0 | major 1 | minor 258 | tx -59 dBm (0xc5)
    const frame = Buffer.from("0215e2c56db5dffb48d2b060d0f5a71096e000010102c5", "hex");
    expect(decodeIbeacon(frame)).toEqual({
      readings: [
        {
          quantity: "tx_power",
          value: -59,
          unit: "dBm",
          tags: { ibeacon_uuid: "e2c56db5-dffb-48d2-b060-d0f5a71096e0", ibeacon_major: "1", ibeacon_minor: "258" },
        },
      ],
    });
  });

  it("leaves other Apple manufacturer data alone", () => {
    expect(decodeIbeacon(Buffer.from("1005031c", "hex")).readings).toEqual([]);
  });
});

describe("Eddystone", () => {
  it("UID: namespace and instance as tags", () => {
    const frame = Buffer.from("00e8" + "00112233445566778899" + "aabbccddeeff" + "0000", "hex");
    expect(decodeEddystone(frame).readings).toEqual([
      {
        quantity: "tx_power",
        value: -24,
        unit: "dBm",
        tags: { eddystone_namespace: "00112233445566778899", eddystone_instance: "aabbccddeeff" },
      },
    ]);
  });

  it("URL: scheme prefix and expansion codes", () => {
    // 10 | tx -20 (0xec) | scheme 03 = "https://" | "example" | expansion 07 = ".com"
    const frame = Buffer.concat([Buffer.from("10ec03", "hex"), Buffer.from("example"), Buffer.from([0x07])]);
    expect(decodeEddystone(frame).readings).toContainEqual({ quantity: "url", value: "https://example.com" });
    const www = Buffer.concat([Buffer.from("10ec01", "hex"), Buffer.from("plexus"), Buffer.from([0x00]), Buffer.from("docs")]);
    expect(decodeEddystone(www).readings).toContainEqual({ quantity: "url", value: "https://www.plexus.com/docs" });
  });

  it("TLM: battery, temperature (8.8 fixed point), advertisement count and uptime; sentinels give no value", () => {
    // 20 00 | 0x0bb8 = 3000 mV | 0x1980 = 25.5 °C | 1000 advertisements | 36000 × 0.1 s
    const frame = Buffer.from("20000bb81980000003e800008ca0", "hex");
    expect(decodeEddystone(frame).readings).toEqual([
      { quantity: "battery_voltage", value: 3, unit: "V" },
      { quantity: "temperature", value: 25.5, unit: "°C" },
      { quantity: "advertisement_count", value: 1000 },
      { quantity: "uptime", value: 3600, unit: "s" },
    ]);
    const unsupported = Buffer.from("200000008000000003e800008ca0", "hex");
    expect(decodeEddystone(unsupported).readings.map((r) => r.quantity)).toEqual(["advertisement_count", "uptime"]);
    expect(decodeEddystone(Buffer.from("2001" + "00".repeat(16), "hex")).problem).toBe("encrypted_tlm");
  });
});
