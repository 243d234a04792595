/**
 * The `ble` adapter: BTHome, Ruuvi, iBeacon and Eddystone advertisements and GATT notifications,
 * from a live controller (through @abandonware/noble, an optional install loaded only here) or an
 * hcidump capture. Static imports stay light (zod options only).
 */
import { defineAdapter } from "../../src/adapter-contract.js";
import { lazyAdapter } from "../../src/lazy-adapter.js";
import { bleOptions } from "./options.js";

export default defineAdapter({
  type: "ble",
  summary: "Bluetooth LE advertisements (BTHome, Ruuvi, iBeacon, Eddystone) and GATT notifications, live or from an hcidump capture",
  options: bleOptions,
  create: (options, ctx) =>
    lazyAdapter(
      ctx,
      async () => new (await import("./adapter.js")).BleAdapter(options, ctx),
      () => ({ description: options.interface === "hcidump" ? `BLE replay of ${options.file}` : `BLE on ${options.interface}` }),
    ),
});
