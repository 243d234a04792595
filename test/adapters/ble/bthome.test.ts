/** BTHome v2 against every vector of bthome-ble's own tests (test/fixtures/ble/SOURCES.md). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeBthome } from "../../../adapters/ble/decoders/bthome.js";

interface Expected {
  kind: string;
  key: string;
  value: unknown;
}
interface Case {
  test: string;
  service_data_hex: string;
  address: string;
  bindkey_hex?: string;
  expected_values: Expected[];
  expected_events?: { key: string; event_type: string; event_properties: { steps?: number } | null }[];
}
const cases: Case[] = JSON.parse(readFileSync(new URL("../../fixtures/ble/bthome_v2_vectors.json", import.meta.url), "utf8")).cases;

/** What the vector asserts, in our terms: signal strength comes from the radio, not the payload; packet_id is the dedup key. */
function expectedReadings(c: Case): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of c.expected_values) {
    if (v.key === "signal_strength" || v.key === "packet_id") continue;
    if (v.key === "timestamp") {
      // The one computed value: datetime(2023, 5, 14, 19, 41, 17, tzinfo=utc).
      out[v.key] = Date.UTC(2023, 4, 14, 19, 41, 17);
      continue;
    }
    out[v.key] = v.value;
  }
  for (const e of c.expected_events ?? [])
    out[e.key] = e.event_properties?.steps ? `${e.event_type} ${e.event_properties.steps}` : e.event_type;
  return out;
}

describe("BTHome v2 decoder", () => {
  it.each(cases.map((c, i) => [i, c.test.split("::")[1], c] as const))("vector %i %s", (_i, _name, c) => {
    const result = decodeBthome({
      data: Buffer.from(c.service_data_hex, "hex"),
      address: c.address,
      bindkey: c.bindkey_hex ? Buffer.from(c.bindkey_hex, "hex") : undefined,
    });
    const got = Object.fromEntries(result.readings.map((r) => [r.quantity, r.value]));
    expect(got).toEqual(expectedReadings(c));
    const packetId = c.expected_values.find((v) => v.key === "packet_id");
    if (packetId) expect(result.packetId).toBe(packetId.value);
  });

  it("counts a wrong key as a decryption failure and emits nothing", () => {
    const wrong = cases.find((c) => c.test.endsWith("test_bindkey_wrong"));
    if (!wrong?.bindkey_hex) throw new Error("vector missing");
    const result = decodeBthome({
      data: Buffer.from(wrong.service_data_hex, "hex"),
      address: wrong.address,
      bindkey: Buffer.from(wrong.bindkey_hex, "hex"),
    });
    expect(result).toMatchObject({ readings: [], problem: "decrypt_failures" });
  });

  it("refuses a replayed counter: the same encrypted packet a second time is not emitted", () => {
    const good = cases.find((c) => c.bindkey_hex && c.expected_values.some((v) => v.key === "temperature"));
    if (!good?.bindkey_hex) throw new Error("vector missing");
    const input = { data: Buffer.from(good.service_data_hex, "hex"), address: good.address, bindkey: Buffer.from(good.bindkey_hex, "hex") };
    const first = decodeBthome(input);
    expect(first.readings.length).toBeGreaterThan(0);
    expect(decodeBthome({ ...input, lastCounter: first.counter })).toMatchObject({ readings: [], problem: "replayed_counter" });
  });

  it("says an encrypted packet needs a key rather than guessing", () => {
    const encrypted = cases.find((c) => c.bindkey_hex);
    if (!encrypted) throw new Error("vector missing");
    expect(decodeBthome({ data: Buffer.from(encrypted.service_data_hex, "hex"), address: encrypted.address })).toMatchObject({
      readings: [],
      problem: "no_bindkey",
    });
  });
});
