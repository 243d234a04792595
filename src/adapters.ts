/**
 * The adapter registry: YAML `type` → lazy import of the adapter's folder, so a Modbus-only
 * gateway never loads OPC-UA and a machine without Bluetooth never touches noble.
 */
import type { AdapterDefinition } from "./adapter-contract.js";

type Loader = () => Promise<{ default: AdapterDefinition }>;

const registry: Record<string, Loader> = {
  ble: () => import("../adapters/ble/index.js"),
  can: () => import("../adapters/can/index.js"),
  mavlink: () => import("../adapters/mavlink/index.js"),
  modbus: () => import("../adapters/modbus/index.js"),
  mqtt: () => import("../adapters/mqtt/index.js"),
  opcua: () => import("../adapters/opcua/index.js"),
  serial: () => import("../adapters/serial/index.js"),
};

/** Test-only adapters live outside the shipped registry and are added by the tests that need them. */
export function registerAdapter(type: string, loader: Loader): void {
  registry[type] = loader;
}

export function adapterTypes(): string[] {
  return Object.keys(registry).sort();
}

export async function loadAdapter(type: string): Promise<AdapterDefinition> {
  const loader = registry[type];
  if (!loader) throw new Error(`unknown adapter type "${type}" (known: ${adapterTypes().join(", ")})`);
  return (await loader()).default;
}

/** Every registered definition, for the config schema and `plexus-bridge adapters`. */
export async function loadAllAdapters(): Promise<AdapterDefinition[]> {
  return Promise.all(adapterTypes().map(loadAdapter));
}
