/**
 * The BLE adapter end to end on the real hcidump capture (replay), and its live path. The live
 * path needs a Bluetooth controller, which this machine does not have: there the radio is a fake
 * (the Radio interface noble is wrapped in), the only mock in these tests.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BleAdapter } from "../../../adapters/ble/adapter.js";
import type { Advertisement } from "../../../adapters/ble/advertisement.js";
import definition from "../../../adapters/ble/index.js";
import { bleOptions } from "../../../adapters/ble/options.js";
import { BleRuntime } from "../../../adapters/ble/runtime.js";
import type { Radio, RadioPeripheral } from "../../../adapters/ble/transport/radio.js";
import { describeNobleError } from "../../../adapters/ble/transport/radio.js";
import { installHint } from "../../../src/install-hint.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/ble/", import.meta.url));
const RUUVI = "ce:d6:05:f5:17:aa";

describe("hcidump replay through the adapter", () => {
  it("decodes the RuuviTag under its configured name, drops the other devices, and finishes", async () => {
    const harness = new AdapterHarness({ id: "cold_room", configDir: FIXTURES });
    const adapter = harness.create(definition, {
      interface: "hcidump",
      file: "hcidump-3.x.txt",
      speed: "max",
      devices: [{ address: RUUVI.toUpperCase(), name: "freezer_1" }],
    });
    await adapter.start();
    await harness.waitForFinished();
    await adapter.stop();
    const metrics = new Set(harness.points.map((p) => p.metric));
    for (const quantity of ["temperature", "humidity", "pressure", "acceleration_x", "battery_voltage", "tx_power", "rssi"])
      expect(metrics).toContain(`freezer_1.${quantity}`);
    expect([...metrics].every((m) => m.startsWith("freezer_1."))).toBe(true);
    const pressure = harness.points.find((p) => p.metric === "freezer_1.pressure");
    expect(pressure).toMatchObject({ tags: { unit: "hPa" } });
    expect(pressure?.value as number).toBeGreaterThan(900);
    // 11 Ruuvi reports in the capture; repeats of a measurement sequence number are duplicates.
    const decoded = harness.counters.get("advertisements_decoded") ?? 0;
    expect(decoded + (harness.counters.get("duplicates") ?? 0)).toBe(11);
    expect(harness.states.at(-1)?.state).toBe("up");
  });

  it("without an allow-list, names devices by address and decodes only what a decoder recognises", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = harness.create(definition, { interface: "hcidump", file: "hcidump-3.x.txt", speed: "max", rssi: false });
    await adapter.start();
    await harness.waitForFinished();
    await adapter.stop();
    expect(new Set(harness.points.map((p) => p.metric.split(".")[0]))).toEqual(new Set(["ced605f517aa"]));
  });

  it("pauses the replay while the queue is over its mark and resumes when it drains, losing nothing", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES, highWater: 5 });
    const adapter = harness.create(definition, { interface: "hcidump", file: "hcidump-3.x.txt", speed: "max", dedup_window: 0 });
    await adapter.start();
    await harness.waitForPoints(5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const whileBlocked = harness.points.length;
    expect(harness.finishedCalled).toBe(false);
    for (let i = 0; i < 50 && !harness.finishedCalled; i++) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await harness.waitForFinished();
    await adapter.stop();
    expect(harness.points.length).toBeGreaterThan(whileBlocked);
  });

  it("refuses a missing capture at start with its path", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = harness.create(definition, { interface: "hcidump", file: "nope.txt" });
    await expect(adapter.start()).rejects.toThrow(/nope\.txt/);
  });
});

describe("runtime: duplicates, encryption, presence", () => {
  const bthome = (hex: string): Advertisement => ({
    address: "a4:c1:38:8d:18:b2",
    rssi: -60,
    serviceData: new Map([["fcd2", Buffer.from(hex, "hex")]]),
    manufacturerData: new Map(),
  });

  it("drops a repeated payload within the window and a repeated BTHome packet id, counting both", () => {
    const harness = new AdapterHarness();
    const runtime = new BleRuntime(bleOptions.parse({ interface: "hcidump", file: "x", rssi: false }), harness.context);
    runtime.onAdvertisement(bthome("400009015d025d0903b718")); // packet 9
    runtime.onAdvertisement(bthome("400009015d025d0903b718")); // same bytes: repeat
    runtime.onAdvertisement(bthome("400009015e")); // packet 9 again, other bytes: still the same packet
    runtime.onAdvertisement(bthome("40000a015e")); // packet 10
    expect(harness.points.map((p) => `${p.metric}=${p.value}`)).toEqual([
      "a4c1388d18b2.battery=93",
      "a4c1388d18b2.temperature=23.97",
      "a4c1388d18b2.humidity=63.27",
      "a4c1388d18b2.battery=94",
    ]);
    expect(harness.counters.get("duplicates")).toBe(2);
  });

  it("decrypts with the device's bindkey; a wrong key is counted and emits nothing", () => {
    const encrypted = "41a47266c95f730011223378237214"; // bthome-ble's test_bindkey_correct, from 54:48:e6:8f:80:a5
    const sensor = { ...bthome(encrypted), address: "54:48:e6:8f:80:a5" };
    const good = new AdapterHarness();
    new BleRuntime(
      bleOptions.parse({
        interface: "hcidump",
        file: "x",
        rssi: false,
        devices: [{ address: "54:48:E6:8F:80:A5", name: "office", bindkey: "231d39c1d7cc1ab1aee224cd096db932" }],
      }),
      good.context,
    ).onAdvertisement(sensor);
    expect(good.points.map((p) => `${p.metric}=${p.value}`)).toEqual(["office.temperature=25.06", "office.humidity=50.55"]);
    const wrong = new AdapterHarness();
    new BleRuntime(
      bleOptions.parse({
        interface: "hcidump",
        file: "x",
        devices: [{ address: "54:48:e6:8f:80:a5", bindkey: "814aac74c4f17b6c1581e1ab87816b99" }],
      }),
      wrong.context,
    ).onAdvertisement(sensor);
    expect(wrong.points).toEqual([]);
    expect(wrong.counters.get("decrypt_failures")).toBe(1);
  });

  it("sends button presses as events, binary sensors as 0/1, RSSI at most once per interval", () => {
    const harness = new AdapterHarness();
    const runtime = new BleRuntime(bleOptions.parse({ interface: "hcidump", file: "x", rssi_interval: "10s" }), harness.context);
    runtime.onAdvertisement(bthome("403a04"));
    runtime.onAdvertisement(bthome("402d01"));
    expect(harness.points.map((p) => `${p.metric}=${p.value}`)).toEqual([
      "a4c1388d18b2.button=long_press",
      "a4c1388d18b2.rssi=-60",
      "a4c1388d18b2.window=1",
    ]);
  });

  it("says `lost` once when a device goes quiet for presence_timeout, and `back` when it returns", () => {
    let now = 0;
    const harness = new AdapterHarness({ clock: { now: () => now, monotonicMs: () => now } });
    const runtime = new BleRuntime(
      bleOptions.parse({ interface: "hcidump", file: "x", rssi: false, presence_timeout: "60s" }),
      harness.context,
    );
    runtime.onAdvertisement(bthome("4000010164"));
    now = 59_000;
    runtime.checkPresence();
    now = 61_000;
    runtime.checkPresence();
    runtime.checkPresence();
    now = 70_000;
    runtime.onAdvertisement(bthome("4000020164"));
    const presence = harness.points.filter((p) => p.metric.endsWith(".presence")).map((p) => p.value);
    expect(presence).toEqual(["lost", "back"]);
  });
});

/** A controller that does not exist here: advertisements and GATT peripherals are scripted. */
class FakeRadio implements Radio {
  listener: ((ad: Advertisement, peripheral: RadioPeripheral) => void) | undefined;
  readonly peripherals = new Map<string, FakePeripheral>();
  async ready() {}
  async startScanning(listener: (ad: Advertisement, peripheral: RadioPeripheral) => void) {
    this.listener = listener;
  }
  async stopScanning() {
    this.listener = undefined;
  }
  advertise(address: string) {
    let peripheral = this.peripherals.get(address);
    if (!peripheral) {
      peripheral = new FakePeripheral(address);
      this.peripherals.set(address, peripheral);
    }
    this.listener?.({ address, rssi: -70, serviceData: new Map(), manufacturerData: new Map() }, peripheral);
  }
}

class FakePeripheral implements RadioPeripheral {
  connects = 0;
  failNextConnect = false;
  readonly subscribers = new Map<string, (value: Buffer) => void>();
  private disconnectListener: (() => void) | undefined;
  constructor(readonly address: string) {}
  async connect() {
    this.connects++;
    if (this.failNextConnect) {
      this.failNextConnect = false;
      throw new Error("connection timed out");
    }
  }
  async disconnect() {}
  async subscribe(_service: string, characteristic: string, onValue: (value: Buffer) => void) {
    this.subscribers.set(characteristic, onValue);
  }
  onDisconnect(listener: () => void) {
    this.disconnectListener = listener;
  }
  notify(characteristic: string, hex: string) {
    this.subscribers.get(characteristic)?.(Buffer.from(hex, "hex"));
  }
  drop() {
    this.subscribers.clear();
    this.disconnectListener?.();
  }
}

describe("live transport (fake radio: no Bluetooth controller on this machine)", () => {
  const waitFor = async (condition: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    if (!condition()) throw new Error(`timed out waiting for ${what}`);
  };

  it("subscribes to GATT notifications, decodes standard and custom characteristics, reconnects after a drop", async () => {
    const radio = new FakeRadio();
    const harness = new AdapterHarness();
    const options = bleOptions.parse({
      interface: "hci0",
      reconnect_min: "10ms",
      reconnect_max: "20ms",
      gatt: [
        {
          address: "F0:99:19:AA:BB:CC",
          name: "chest_strap",
          notify: [
            { service: "180d", characteristic: "2a37" },
            {
              service: "ffe0",
              characteristic: "ffe1",
              fields: [{ name: "load", offset: 0, type: "int16", byte_order: "BA", scale: 0.01, unit: "kg" }],
            },
          ],
        },
      ],
    });
    const adapter = new BleAdapter(options, harness.context, async () => radio);
    await adapter.start();
    await waitFor(() => radio.listener !== undefined, "scanning");
    expect(harness.states.at(-1)).toEqual({ state: "up", detail: "scanning on hci0" });
    radio.advertise("f0:99:19:aa:bb:cc");
    const strap = radio.peripherals.get("f0:99:19:aa:bb:cc") as FakePeripheral;
    await waitFor(() => strap.subscribers.size === 2, "subscriptions");
    strap.notify("2a37", "16485401ec02"); // 72 bpm, worn, two RR intervals (SmartGattLib's vector)
    strap.notify("ffe1", "d007"); // 2000 × 0.01 = 20 kg, little-endian
    expect(harness.points.map((p) => `${p.metric}=${p.value}`)).toEqual([
      "chest_strap.heart_rate=72",
      "chest_strap.sensor_contact=1",
      "chest_strap.rr_interval=0.33203125",
      "chest_strap.rr_interval=0.73046875",
      "chest_strap.load=20",
    ]);
    strap.drop();
    expect(harness.counters.get("gatt_disconnects")).toBe(1);
    radio.advertise("f0:99:19:aa:bb:cc"); // within the backoff: not yet
    expect(strap.connects).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    radio.advertise("f0:99:19:aa:bb:cc");
    await waitFor(() => strap.subscribers.size === 2, "resubscribed");
    expect(strap.connects).toBe(2);
    strap.notify("2a19", "2c");
    await adapter.stop();
  });

  it("keeps retrying a radio that cannot open, down with one clear message, and comes up when it can", async () => {
    const harness = new AdapterHarness();
    const radio = new FakeRadio();
    let attempts = 0;
    const adapter = new BleAdapter(
      bleOptions.parse({ interface: "hci0", reconnect_min: "10ms", reconnect_max: "20ms" }),
      harness.context,
      async (iface) => {
        attempts++;
        if (attempts < 3)
          throw new Error(
            describeNobleError(iface, Object.assign(new Error("EAFNOSUPPORT, Address family not supported by protocol"), {})),
          );
        return radio;
      },
    );
    await adapter.start();
    await waitFor(() => harness.states.at(-1)?.state === "up", "up");
    expect(harness.states.filter((s) => s.state === "down").map((s) => s.detail)).toEqual([
      "no Bluetooth adapter (hci0): this kernel has no Bluetooth support (EAFNOSUPPORT); BLE needs BlueZ and the capabilities CAP_NET_RAW, CAP_NET_ADMIN (see adapters/ble/README.md)",
      "no Bluetooth adapter (hci0): this kernel has no Bluetooth support (EAFNOSUPPORT); BLE needs BlueZ and the capabilities CAP_NET_RAW, CAP_NET_ADMIN (see adapters/ble/README.md)",
    ]);
    expect(harness.log.lines.filter((l) => l.level === "error")).toHaveLength(1);
    await adapter.stop();
  });

  it("a missing noble names the install command for how the bridge was installed", () => {
    const missing = Object.assign(new Error("Cannot find module '@abandonware/noble/with-custom-binding'"), { code: "MODULE_NOT_FOUND" });
    expect(describeNobleError("hci0", missing)).toContain(
      `install it with \`${installHint("@abandonware/noble")}\` (it compiles a native module`,
    );
  });

  it("on this machine, the real noble path fails with the clear message (library missing or no Bluetooth)", async () => {
    const { openNobleRadio } = await import("../../../adapters/ble/transport/radio.js");
    await expect(openNobleRadio("hci0")).rejects.toThrow(/^(no Bluetooth library|no Bluetooth adapter \(hci0\))/);
  });
});
