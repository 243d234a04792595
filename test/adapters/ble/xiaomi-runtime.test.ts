/**
 * Xiaomi MiBeacon advertisements through BleRuntime (the part between a transport and the
 * pipeline): the bindkey from `devices`, the replay counter kept per device, names and events.
 * The advertisements are xiaomi-ble's vectors (test/fixtures/ble/SOURCES.md) as a radio would
 * hand them over; there is no Bluetooth controller here.
 */
import { describe, expect, it } from "vitest";
import type { Advertisement } from "../../../adapters/ble/advertisement.js";
import { bleOptions } from "../../../adapters/ble/options.js";
import { BleRuntime } from "../../../adapters/ble/runtime.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const mibeacon = (address: string, hex: string): Advertisement => ({
  address,
  rssi: -60,
  serviceData: new Map([["fe95", Buffer.from(hex, "hex")]]),
  manufacturerData: new Map(),
});

// test_Xiaomi_LYWSD03MMC_encrypted: MiBeacon v5, AES-CCM, humidity 46 %.
const THERMOMETER = "a4:c1:38:02:83:f4";
const ENCRYPTED = "58585b0550f4830238c1a495ef58763c26000097e2abb5";
const KEY = "e9ea895fac7cca6d30532432a516f3a8";

function runtime(options: Record<string, unknown>) {
  let now = 0;
  const harness = new AdapterHarness({ clock: { now: () => now, monotonicMs: () => now } });
  const ble = new BleRuntime(bleOptions.parse({ interface: "hcidump", file: "x", rssi: false, ...options }), harness.context);
  return { harness, ble, advance: (ms: number) => (now += ms) };
}

const values = (harness: AdapterHarness) => harness.points.map((p) => `${p.metric}=${p.value}`);

describe("Xiaomi MiBeacon through the BLE runtime", () => {
  it("decrypts with the device's bindkey and names the points after the device", () => {
    const { harness, ble } = runtime({ devices: [{ address: THERMOMETER.toUpperCase(), name: "office", bindkey: KEY }] });
    ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    expect(harness.points).toEqual([expect.objectContaining({ metric: "office.humidity", value: 46, tags: { unit: "%" } })]);
    expect(harness.counters.get("advertisements_decoded")).toBe(1);
  });

  it("drops a repeat within the dedup window, and refuses the same encrypted frame after it (replayed counter)", () => {
    const { harness, ble, advance } = runtime({ devices: [{ address: THERMOMETER, bindkey: KEY }] });
    ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    advance(5_000);
    ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    expect(values(harness)).toEqual(["a4c1380283f4.humidity=46"]);
    expect(harness.counters.get("duplicates")).toBe(1);
    expect(harness.counters.get("replayed_counter")).toBe(1);
  });

  it("counts a wrong bindkey and a missing one, and emits nothing", () => {
    const wrong = runtime({ devices: [{ address: THERMOMETER, bindkey: "814aac74c4f17b6c1581e1ab87816b99" }] });
    wrong.ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    expect(wrong.harness.points).toEqual([]);
    expect(wrong.harness.counters.get("decrypt_failures")).toBe(1);
    const missing = runtime({});
    missing.ble.onAdvertisement(mibeacon(THERMOMETER, ENCRYPTED));
    expect(missing.harness.points).toEqual([]);
    expect(missing.harness.counters.get("no_bindkey")).toBe(1);
  });

  it("takes a 24-digit legacy key (v2/v3) and sends the dimmer as an event", () => {
    // test_Xiaomi_YLKG07YL_press: MiBeacon v3, legacy encryption, one press.
    const dimmer = "f8:24:41:c5:98:8b";
    const { harness, ble } = runtime({ devices: [{ address: dimmer, name: "hall_dimmer", bindkey: "b853075158487ca39a5b5ea9" }] });
    ble.onAdvertisement(mibeacon(dimmer, "5830b603d28b98c54124f8c3491476757e00000099"));
    expect(values(harness)).toEqual(["hall_dimmer.dimmer=press 1"]);
  });

  it("sends on/off states as 0/1 and decodes nothing when xiaomi is not among the decoders", () => {
    // test_Xiaomi_MJYD02YL: unencrypted v4, motion with light.
    const light = "a4:c1:38:07:f6:01";
    const frame = "5040f6070101f60738c1a40f0003640000";
    const on = runtime({});
    on.ble.onAdvertisement(mibeacon(light, frame));
    expect(values(on.harness)).toEqual(["a4c13807f601.motion=1", "a4c13807f601.light=1"]);
    const off = runtime({ decoders: ["bthome", "ruuvi"] });
    off.ble.onAdvertisement(mibeacon(light, frame));
    expect(off.harness.points).toEqual([]);
  });

  it("refuses a bindkey that is neither 24 nor 32 hex digits", () => {
    const parsed = bleOptions.safeParse({ interface: "hcidump", file: "x", devices: [{ address: THERMOMETER, bindkey: "e9ea895f" }] });
    expect(parsed.success).toBe(false);
  });
});
