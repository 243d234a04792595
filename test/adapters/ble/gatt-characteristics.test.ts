/** Standard GATT characteristic decoders against the GATT vectors (blevalueparser, SmartGattLib; test/fixtures/ble/SOURCES.md). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shortUuid, standardCharacteristic } from "../../../adapters/ble/decoders/gatt.js";

interface Case {
  uuid: string;
  value_hex: string;
  expected: Record<string, unknown>;
}
const cases: Case[] = JSON.parse(
  readFileSync(new URL("../../fixtures/ble/gatt_characteristic_vectors.json", import.meta.url), "utf8"),
).cases;

/** The two libraries' assertions, in our quantities and units. */
function expectedOf(c: Case): Record<string, unknown> | "invalid" {
  const e = c.expected;
  if (e.isValid === false) return "invalid";
  const out: Record<string, unknown> = {};
  const hr = e.heartRate ?? e.heart_rate_bpm;
  if (hr !== undefined) out.heart_rate = hr;
  if (e.isContactSupported) out.sensor_contact = e.isContacted;
  if (e.sensor_worn !== undefined) out.sensor_contact = e.sensor_worn === "WORN";
  if (typeof e.energyExpended === "number") out.energy_expended = e.energyExpended;
  const rr = (e.rrIntervals_raw_1_1024s as number[] | undefined)?.map((raw) => raw / 1024) ?? (e.rr_intervals_s as number[] | undefined);
  if (rr) out.rr_interval = rr;
  const level = e.level ?? e.level_percent;
  if (level !== undefined) out.battery = level;
  if (e.cumulative_wheel_revolutions !== undefined) {
    Object.assign(out, {
      wheel_revolutions: e.cumulative_wheel_revolutions,
      wheel_event_time: (e.last_wheel_event_time as number) / 1024,
      crank_revolutions: e.cumulative_crank_revolutions,
      crank_event_time: (e.last_crank_event_time as number) / 1024,
    });
  }
  return out;
}

describe("standard GATT characteristics", () => {
  it.each(cases.map((c, i) => [i, c.uuid, c.value_hex, c] as const))("vector %i %s %s", (_i, uuid, hex, c) => {
    const decode = standardCharacteristic(uuid);
    if (!decode) throw new Error(`no decoder for ${uuid}`);
    const result = decode(Buffer.from(hex, "hex"));
    const expected = expectedOf(c);
    if (expected === "invalid") {
      expect(result).toEqual({ readings: [], problem: "invalid_values" });
      return;
    }
    const got: Record<string, unknown> = {};
    const rr = result.readings.filter((r) => r.quantity === "rr_interval").map((r) => r.value);
    for (const r of result.readings) if (r.quantity !== "rr_interval") got[r.quantity] = r.value;
    if (rr.length > 0) got.rr_interval = rr;
    // Vectors that assert only the printed form ("99%", "HR: 426bpm…") are checked on the numbers they print.
    const printed = typeof c.expected.toString === "string" ? c.expected.toString : "";
    if (Object.keys(expected).length === 0) {
      expect(printed).toContain(String(got.battery ?? got.heart_rate));
      return;
    }
    expect(got).toEqual(expected);
  });

  it("decodes environmental sensing values and knows UUIDs in every spelling", () => {
    expect(standardCharacteristic("2A6E")?.(Buffer.from("f409", "hex")).readings).toEqual([
      { quantity: "temperature", value: 25.48, unit: "°C" },
    ]);
    expect(standardCharacteristic("0x2a6f")?.(Buffer.from("1c13", "hex")).readings).toEqual([
      { quantity: "humidity", value: 48.92, unit: "%" },
    ]);
    // 0x000f6f24 = 1011492 × 0.1 Pa = 1011.492 hPa
    expect(standardCharacteristic("00002a6d-0000-1000-8000-00805f9b34fb")?.(Buffer.from("246f0f00", "hex")).readings).toEqual([
      { quantity: "pressure", value: 1011.492, unit: "hPa" },
    ]);
    expect(standardCharacteristic("2a6e")?.(Buffer.from("0080", "hex")).problem).toBe("invalid_values");
    expect(shortUuid("0000180d-0000-1000-8000-00805f9b34fb")).toBe("180d");
  });
});
