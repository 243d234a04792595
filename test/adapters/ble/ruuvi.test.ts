/** Ruuvi formats 3, 5, 6 and E1 against ruuvitag-sensor's asserted vectors (test/fixtures/ble/SOURCES.md). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeRuuvi } from "../../../adapters/ble/decoders/ruuvi.js";

interface Case {
  test: string;
  raw_hex: string;
  expected: Record<string, unknown>;
}
const cases: Case[] = JSON.parse(readFileSync(new URL("../../fixtures/ble/ruuvi_vectors.json", import.meta.url), "utf8")).cases;

const G = 9.80665;
/** The library's names and units → ours (m/s² from mG, V from mV). Fields that are not measurements are left out. */
const CONVERT: Record<string, [string, (v: number) => number] | undefined> = {
  temperature: ["temperature", (v) => v],
  humidity: ["humidity", (v) => v],
  pressure: ["pressure", (v) => v],
  acceleration_x: ["acceleration_x", (v) => (v * G) / 1000],
  acceleration_y: ["acceleration_y", (v) => (v * G) / 1000],
  acceleration_z: ["acceleration_z", (v) => (v * G) / 1000],
  battery: ["battery_voltage", (v) => v / 1000],
  tx_power: ["tx_power", (v) => v],
  movement_counter: ["movement_counter", (v) => v],
  measurement_sequence_number: ["measurement_sequence", (v) => v],
  pm_2_5: ["pm2_5", (v) => v],
  co2: ["co2", (v) => v],
  voc: ["voc_index", (v) => v],
  nox: ["nox_index", (v) => v],
  luminosity: ["illuminance", (v) => v],
};

describe("Ruuvi decoder", () => {
  it.each(cases.map((c, i) => [i, c.test.split("::")[1], c] as const))("vector %i %s", (_i, _name, c) => {
    const result = decodeRuuvi(Buffer.from(c.raw_hex, "hex"));
    const got = new Map(result.readings.map((r) => [r.quantity, r.value]));
    let compared = 0;
    for (const [key, expected] of Object.entries(c.expected)) {
      if (key === "calibration_in_progress") {
        expect(got.get(key), key).toBe(expected);
        compared++;
        continue;
      }
      const convert = CONVERT[key];
      if (!convert) continue;
      const [ours, toOurUnit] = convert;
      if (expected === null) expect(got.has(ours), `${key} is "not available": no reading`).toBe(false);
      else expect(got.get(ours), key).toBeCloseTo(toOurUnit(expected as number), 2);
      compared++;
    }
    // One vector asserts only that a payload without the library's appended RSSI byte has no RSSI:
    // for it, what matters here is that it decodes in full.
    if (compared === 0) {
      expect(result.problem).toBeUndefined();
      expect(got.get("temperature")).toBeCloseTo(24.3, 3);
    }
  });

  it("counts an unknown format and a short payload instead of guessing", () => {
    expect(decodeRuuvi(Buffer.from("0912", "hex")).problem).toBe("unsupported_format");
    expect(decodeRuuvi(Buffer.from("0512FC", "hex")).problem).toBe("malformed");
  });
});
