/**
 * The `ble` adapter: BTHome, Ruuvi, iBeacon and Eddystone advertisements and GATT notifications,
 * from a live controller (through @abandonware/noble, an optional install loaded only here) or an
 * hcidump capture. Static imports stay light (zod options only).
 */
import { defineAdapter } from "../../src/adapter-contract.js";
import { bleOptions } from "./options.js";

export default defineAdapter({
  type: "ble",
  summary: "Bluetooth LE advertisements (BTHome, Ruuvi, iBeacon, Eddystone) and GATT notifications, live or from an hcidump capture",
  options: bleOptions,
  create(options, ctx) {
    let loading: Promise<import("./adapter.js").BleAdapter> | undefined;
    const load = () => {
      loading ??= import("./adapter.js").then(({ BleAdapter }) => new BleAdapter(options, ctx));
      return loading;
    };
    return {
      start: async () => (await load()).start(),
      // A stop() that arrives while start() is still importing must reach the adapter.
      stop: async () => (await loading?.catch(() => undefined))?.stop(),
      describe: () => ({
        description: options.interface === "hcidump" ? `BLE replay of ${options.file}` : `BLE on ${options.interface}`,
      }),
    };
  },
});
