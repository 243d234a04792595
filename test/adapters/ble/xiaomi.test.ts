/** Xiaomi MiBeacon against every vector of xiaomi-ble's own tests (test/fixtures/ble/SOURCES.md). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeXiaomi } from "../../../adapters/ble/decoders/xiaomi.js";

interface Case {
  test: string;
  service_data_hex: string;
  address: string;
  bindkey_hex?: string;
  expected_values: { key: string; value: unknown }[];
  expected_events?: { key: string; event_type: string; event_properties: Record<string, number> | null }[];
}
const cases: Case[] = JSON.parse(readFileSync(new URL("../../fixtures/ble/xiaomi_mibeacon_vectors.json", import.meta.url), "utf8")).cases;

/**
 * Events whose Home Assistant key is also a sensor of the same frame (the lock's state and the
 * action that changed it) get a name of their own; the README lists them.
 */
const EVENT_NAMES: Record<string, string> = { lock: "lock_action", fingerprint: "fingerprint_result", error: "lock_error" };

/** What the vector asserts, in our terms: signal strength comes from the radio, not the payload. */
function expectedReadings(c: Case): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of c.expected_values) if (v.key !== "signal_strength") out[v.key] = v.value;
  for (const e of c.expected_events ?? []) {
    // Event properties (presses, steps, seconds held) follow the event name, as BTHome's dimmer does.
    const properties = Object.values(e.event_properties ?? {});
    out[EVENT_NAMES[e.key] ?? e.key] = [e.event_type, ...properties].join(" ");
  }
  return out;
}

function decode(c: Case, bindkey = c.bindkey_hex) {
  return decodeXiaomi({
    data: Buffer.from(c.service_data_hex, "hex"),
    address: c.address,
    bindkey: bindkey ? Buffer.from(bindkey, "hex") : undefined,
  });
}

const named = (name: string) => {
  const found = cases.find((c) => c.test.endsWith(`::${name}`));
  if (!found) throw new Error(`vector ${name} missing`);
  return found;
};

describe("Xiaomi MiBeacon decoder", () => {
  it("has all 102 vectors, 72 of them encrypted", () => {
    expect(cases).toHaveLength(102);
    expect(cases.filter((c) => c.bindkey_hex)).toHaveLength(72);
  });

  it.each(cases.map((c, i) => [i, c.test.split("::")[1], c] as const))("vector %i %s", (_i, _name, c) => {
    const result = decode(c);
    const got = Object.fromEntries(result.readings.map((r) => [r.quantity, r.value]));
    const expected = expectedReadings(c);
    expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) {
      // One value is computed with exp() (the MMC-T201 body temperature): libm and V8 may differ in the last bit.
      if (typeof value === "number" && !Number.isInteger(value)) expect(got[key], key).toBeCloseTo(value, 10);
      else expect(got[key], key).toEqual(value);
    }
    // The frame counter is the duplicate key, given only with decoded objects.
    expect(result.packetId).toBe(result.readings.length > 0 ? Buffer.from(c.service_data_hex, "hex")[4] : undefined);
    if (!c.test.includes("bindkey_wrong")) expect(result.problem).toBeUndefined();
  });

  it("counts a wrong v5 key as a decryption failure and emits nothing", () => {
    expect(decode(named("test_bindkey_wrong"))).toMatchObject({ readings: [], problem: "decrypt_failures" });
  });

  it("counts a wrong legacy (v3) key as a decryption failure: no tag, but the objects do not fit", () => {
    expect(decode(named("test_bindkey_wrong_legacy"))).toMatchObject({ readings: [], problem: "decrypt_failures" });
  });

  it("refuses a replayed counter for v5 and legacy frames", () => {
    for (const c of [named("test_Xiaomi_LYWSD03MMC_encrypted"), named("test_Xiaomi_YLKG07YL_press")]) {
      const first = decode(c);
      expect(first.readings.length).toBeGreaterThan(0);
      expect(first.counter).toBeDefined();
      const again = decodeXiaomi({
        data: Buffer.from(c.service_data_hex, "hex"),
        address: c.address,
        bindkey: Buffer.from(c.bindkey_hex ?? "", "hex"),
        lastCounter: first.counter,
      });
      expect(again).toMatchObject({ readings: [], problem: "replayed_counter" });
    }
  });

  it("reads the 32-bit counter from the frame counter and its 3-byte extension", () => {
    // 5858 5b05 50 | f4830238c1a4 | 95ef58763c | 260000 | 97e2abb5: counter 0x000026 << 8 | 0x50.
    expect(decode(named("test_Xiaomi_LYWSD03MMC_encrypted")).counter).toBe((0x26 << 8) | 0x50);
  });

  it("says an encrypted frame needs a key rather than guessing", () => {
    expect(decode(named("test_Xiaomi_CGG1"), "")).toMatchObject({ readings: [], problem: "no_bindkey" });
  });

  it("names the model where the objects depend on it", () => {
    expect(decode(named("test_Xiaomi_CGPR1"))).toMatchObject({ productId: 0x0a83, model: "CGPR1" });
  });

  it("counts truncated frames and object lengths past the end as malformed", () => {
    expect(decodeXiaomi({ data: Buffer.from("5020aa", "hex"), address: "58:2D:34:3B:2E:BF" }).problem).toBe("malformed");
    const cut = named("test_Xiaomi_LYWSDCGQ").service_data_hex.slice(0, -2);
    // The battery object is cut short; the temperature and humidity before it are whole and kept.
    const result = decodeXiaomi({ data: Buffer.from(cut, "hex"), address: "58:2D:34:3B:2E:BF" });
    expect(result.problem).toBe("malformed");
    expect(result.readings.map((r) => r.quantity)).toEqual(["temperature", "humidity"]);
  });

  it("counts an unknown object but still decodes the ones around it", () => {
    // Unencrypted v2 frame (4020), HHCCJCY01 (9800), counter 12: unknown 7777 (1 byte), then 0x1004 = 19.6 °C.
    const frame = Buffer.from("4020980012" + "77770100" + "041002c400", "hex");
    const result = decodeXiaomi({ data: frame, address: "C4:7C:8D:6B:4F:F3" });
    expect(result.problem).toBe("unknown_objects");
    expect(result.readings).toEqual([{ quantity: "temperature", value: 19.6, unit: "°C" }]);
  });

  it("refuses mesh frames and version 1", () => {
    expect(decodeXiaomi({ data: Buffer.from("d020aa0101", "hex"), address: "58:2D:34:3B:2E:BF" }).problem).toBe("unsupported_version");
    expect(decodeXiaomi({ data: Buffer.from("4010aa0101", "hex"), address: "58:2D:34:3B:2E:BF" }).problem).toBe("unsupported_version");
  });
});
