/**
 * The radio the live transport needs, and its implementation over @abandonware/noble. noble is an
 * optional install (it compiles a native module and throws at load without Bluetooth), so it is
 * imported only here, only when a live interface is configured, and every way it can fail becomes
 * one clear sentence. Tests drive the live transport through a fake Radio: the one part that
 * cannot exist on a machine without a Bluetooth controller.
 */
import { createRequire } from "node:module";
import { installHint } from "../../../src/install-hint.js";
import type { Advertisement } from "../advertisement.js";
import { normaliseAddress } from "../advertisement.js";

export interface RadioPeripheral {
  readonly address: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Subscribes to notifications (or indications) of one characteristic. */
  subscribe(service: string, characteristic: string, onValue: (value: Buffer) => void): Promise<void>;
  onDisconnect(listener: () => void): void;
}

export interface Radio {
  /** Resolves when the controller is powered on; rejects saying why it is not. */
  ready(): Promise<void>;
  /** Scans with duplicates allowed (the adapter does its own dedup) until stopScanning(). */
  startScanning(onAdvertisement: (advertisement: Advertisement, peripheral: RadioPeripheral) => void): Promise<void>;
  stopScanning(): Promise<void>;
}

const NEEDS = "BLE needs BlueZ and the capabilities CAP_NET_RAW, CAP_NET_ADMIN (see adapters/ble/README.md)";

/** Opens noble on `hciN`; throws one clear sentence when that cannot work here. */
export async function openNobleRadio(iface: string): Promise<Radio> {
  const deviceId = Number(iface.replace(/^hci/, ""));
  let create: (options: { deviceId: number }) => NobleLike;
  try {
    // CommonJS with a factory per device; loaded through require so a missing package is a plain MODULE_NOT_FOUND.
    create = createRequire(import.meta.url)("@abandonware/noble/with-custom-binding");
  } catch (error) {
    throw new Error(describeNobleError(iface, error as NodeJS.ErrnoException));
  }
  let noble: NobleLike;
  try {
    noble = create({ deviceId });
  } catch (error) {
    throw new Error(describeNobleError(iface, error as NodeJS.ErrnoException));
  }
  return new NobleRadio(noble, iface);
}

export function describeNobleError(iface: string, error: NodeJS.ErrnoException): string {
  const message = error.message ?? String(error);
  if (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_MODULE_NOT_FOUND")
    return `no Bluetooth library: install it with \`${installHint("@abandonware/noble")}\` (it compiles a native module: g++, make, python3); ${NEEDS}`;
  if (/EAFNOSUPPORT|Address family not supported/.test(message))
    return `no Bluetooth adapter (${iface}): this kernel has no Bluetooth support (EAFNOSUPPORT); ${NEEDS}`;
  if (/EPERM|EACCES|Operation not permitted/.test(message)) return `no permission to use ${iface} (${message}); ${NEEDS}`;
  if (/ENODEV|No such device/.test(message)) return `no Bluetooth adapter (${iface}): ${message}; ${NEEDS}`;
  return `Bluetooth adapter ${iface} unavailable: ${message}; ${NEEDS}`;
}

/** The part of noble's API this file uses. */
interface NoblePeripheral {
  address: string;
  rssi: number;
  advertisement: { localName?: string; serviceData?: { uuid: string; data: Buffer }[]; manufacturerData?: Buffer };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(
    services: string[],
    characteristics: string[],
  ): Promise<{ characteristics: { on(event: "data", listener: (data: Buffer) => void): void; subscribeAsync(): Promise<void> }[] }>;
  once(event: "disconnect", listener: () => void): void;
}
interface NobleLike {
  state: string;
  on(event: "stateChange", listener: (state: string) => void): void;
  on(event: "discover", listener: (peripheral: NoblePeripheral) => void): void;
  removeAllListeners(event: string): void;
  startScanningAsync(services: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

class NobleRadio implements Radio {
  constructor(
    private readonly noble: NobleLike,
    private readonly iface: string,
  ) {}

  ready(): Promise<void> {
    const why = (state: string) => `${this.iface} is ${state}; ${NEEDS}`;
    if (this.noble.state === "poweredOn") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(why(this.noble.state))), 10_000);
      this.noble.on("stateChange", (state) => {
        clearTimeout(timer);
        if (state === "poweredOn") resolve();
        else reject(new Error(why(state)));
      });
    });
  }

  async startScanning(onAdvertisement: (advertisement: Advertisement, peripheral: RadioPeripheral) => void): Promise<void> {
    this.noble.on("discover", (peripheral) => onAdvertisement(toAdvertisement(peripheral), wrap(peripheral)));
    await this.noble.startScanningAsync([], true);
  }

  async stopScanning(): Promise<void> {
    this.noble.removeAllListeners("discover");
    await this.noble.stopScanningAsync();
  }
}

function toAdvertisement(peripheral: NoblePeripheral): Advertisement {
  const serviceData = new Map<string, Buffer>();
  for (const entry of peripheral.advertisement.serviceData ?? []) serviceData.set(entry.uuid.toLowerCase(), entry.data);
  const manufacturerData = new Map<number, Buffer>();
  const manufacturer = peripheral.advertisement.manufacturerData;
  if (manufacturer && manufacturer.length >= 2) manufacturerData.set(manufacturer.readUInt16LE(0), manufacturer.subarray(2));
  return {
    address: normaliseAddress(peripheral.address),
    rssi: peripheral.rssi,
    serviceData,
    manufacturerData,
    localName: peripheral.advertisement.localName,
  };
}

function wrap(peripheral: NoblePeripheral): RadioPeripheral {
  return {
    address: normaliseAddress(peripheral.address),
    connect: () => peripheral.connectAsync(),
    disconnect: () => peripheral.disconnectAsync(),
    async subscribe(service, characteristic, onValue) {
      const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([service], [characteristic]);
      if (characteristics.length === 0) throw new Error(`no characteristic ${characteristic} in service ${service}`);
      characteristics[0].on("data", onValue);
      await characteristics[0].subscribeAsync();
    },
    onDisconnect: (listener) => peripheral.once("disconnect", listener),
  };
}
