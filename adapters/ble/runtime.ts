/**
 * Between a transport (live scan, hcidump replay, GATT) and the pipeline: picks the decoder for
 * each advertisement, keeps per-device state (names, keys, encryption counters, the last payload
 * for duplicates, RSSI pacing, presence) and turns readings into points. Transports only hand
 * over advertisements and characteristic values.
 */
import type { AdapterContext } from "../../src/adapter-contract.js";
import type { PointInput } from "../../src/pipeline/point.js";
import type { Advertisement } from "./advertisement.js";
import { normaliseAddress } from "./advertisement.js";
import { APPLE_COMPANY_ID, decodeEddystone, decodeIbeacon, EDDYSTONE_UUID } from "./decoders/beacons.js";
import { BTHOME_UUID, decodeBthome } from "./decoders/bthome.js";
import type { DecodeResult, Reading } from "./decoders/reading.js";
import { decodeRuuvi, RUUVI_COMPANY_ID } from "./decoders/ruuvi.js";
import { decodeXiaomi, XIAOMI_UUID } from "./decoders/xiaomi.js";
import type { BleOptions, DecoderName } from "./options.js";

/** Devices remembered when no allow-list bounds them (a busy street advertises thousands). */
const MAX_DEVICES = 1024;

interface DeviceState {
  address: string;
  name: string;
  bindkey?: Buffer;
  /** Last accepted encryption counter per decoder (BTHome, Xiaomi): replay protection. */
  counters: Map<DecoderName, number>;
  /** Last packet id per decoder (BTHome packet id, Ruuvi sequence): a repeat is a duplicate. */
  packetIds: Map<DecoderName, number>;
  /** Last payload per decoder and when it came, for the dedup window. */
  payloads: Map<DecoderName, { hex: string; at: number }>;
  rssiSentAt: number;
  /** -Infinity until first heard: a first sighting is not a return. */
  lastSeen: number;
  present: boolean;
}

export class BleRuntime {
  private readonly devices = new Map<string, DeviceState>();
  private readonly allowList: Map<string, { name?: string; bindkey?: Buffer }> | undefined;
  private readonly decoders: ReadonlySet<DecoderName>;
  private presenceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: BleOptions,
    private readonly ctx: AdapterContext,
  ) {
    this.decoders = new Set(options.decoders);
    if (options.devices.length > 0) {
      this.allowList = new Map(
        options.devices.map((d) => [
          normaliseAddress(d.address),
          { name: d.name, bindkey: d.bindkey ? Buffer.from(d.bindkey.trim(), "hex") : undefined },
        ]),
      );
    }
  }

  /** Checks presence every quarter of the timeout (at most once a second). */
  startPresence(): void {
    const timeout = this.options.presence_timeout;
    if (timeout <= 0 || this.presenceTimer) return;
    this.presenceTimer = setInterval(() => this.checkPresence(), Math.max(1000, timeout / 4));
    this.presenceTimer.unref();
  }

  stop(): void {
    clearInterval(this.presenceTimer);
    this.presenceTimer = undefined;
  }

  /** Decodes one advertisement; false when the queue is over its high-water mark. */
  onAdvertisement(ad: Advertisement, timestampMs?: number): boolean {
    const address = normaliseAddress(ad.address);
    if (this.allowList && !this.allowList.has(address)) return true;
    const now = this.ctx.clock.monotonicMs();
    const points: PointInput[] = [];
    let device = this.devices.get(address);
    for (const [decoder, payload] of this.payloadsOf(ad)) {
      device ??= this.remember(address);
      if (this.isRepeat(device, decoder, payload, now)) {
        this.ctx.count("duplicates");
        continue;
      }
      const result = this.decode(decoder, payload, device);
      if (result.problem) this.ctx.count(result.problem);
      if (result.packetId !== undefined) {
        if (device.packetIds.get(decoder) === result.packetId) {
          this.ctx.count("duplicates");
          continue;
        }
        device.packetIds.set(decoder, result.packetId);
      }
      if (result.readings.length > 0) this.ctx.count("advertisements_decoded");
      for (const reading of result.readings) points.push(this.point(device.name, reading, timestampMs));
    }
    if (!device) return true;
    if (!device.present) {
      device.present = true;
      if (Number.isFinite(device.lastSeen)) points.push({ metric: `${device.name}.presence`, value: "back", timestamp: timestampMs });
    }
    device.lastSeen = now;
    if (this.options.rssi && ad.rssi !== undefined && now - device.rssiSentAt >= this.options.rssi_interval && points.length > 0) {
      device.rssiSentAt = now;
      points.push({ metric: `${device.name}.rssi`, value: ad.rssi, timestamp: timestampMs, tags: { unit: "dBm" } });
    }
    return points.length > 0 ? this.ctx.emit(points) : true;
  }

  /** One notification of a subscribed characteristic, already decoded by the GATT transport. */
  onCharacteristic(deviceName: string, result: DecodeResult): boolean {
    if (result.problem) this.ctx.count(result.problem);
    if (result.readings.length === 0) return true;
    return this.ctx.emit(result.readings.map((reading) => this.point(deviceName, reading)));
  }

  /** Devices not heard within presence_timeout get one `lost` event each. */
  checkPresence(): void {
    const now = this.ctx.clock.monotonicMs();
    const lost: PointInput[] = [];
    for (const device of this.devices.values()) {
      if (device.present && now - device.lastSeen >= this.options.presence_timeout) {
        device.present = false;
        lost.push({ metric: `${device.name}.presence`, value: "lost" });
      }
    }
    if (lost.length > 0) this.ctx.emit(lost);
  }

  private *payloadsOf(ad: Advertisement): Generator<[DecoderName, Buffer]> {
    const bthome = ad.serviceData.get(BTHOME_UUID);
    if (bthome && this.decoders.has("bthome")) yield ["bthome", bthome];
    const ruuvi = ad.manufacturerData.get(RUUVI_COMPANY_ID);
    if (ruuvi && this.decoders.has("ruuvi")) yield ["ruuvi", ruuvi];
    const xiaomi = ad.serviceData.get(XIAOMI_UUID);
    if (xiaomi && this.decoders.has("xiaomi")) yield ["xiaomi", xiaomi];
    const apple = ad.manufacturerData.get(APPLE_COMPANY_ID);
    // Apple devices send many kinds of manufacturer data; only iBeacon frames (02 15) are ours.
    if (apple && apple[0] === 0x02 && apple[1] === 0x15 && this.decoders.has("ibeacon")) yield ["ibeacon", apple];
    const eddystone = ad.serviceData.get(EDDYSTONE_UUID);
    if (eddystone && this.decoders.has("eddystone")) yield ["eddystone", eddystone];
  }

  private decode(decoder: DecoderName, payload: Buffer, device: DeviceState): DecodeResult {
    switch (decoder) {
      case "bthome":
      case "xiaomi": {
        const decode = decoder === "bthome" ? decodeBthome : decodeXiaomi;
        const input = { data: payload, address: device.address, bindkey: device.bindkey, lastCounter: device.counters.get(decoder) };
        const result = decode(input);
        if (result.counter !== undefined) device.counters.set(decoder, result.counter);
        return result;
      }
      case "ruuvi":
        return decodeRuuvi(payload);
      case "ibeacon":
        return decodeIbeacon(payload);
      case "eddystone":
        return decodeEddystone(payload);
    }
  }

  /** Devices repeat each packet several times in a row: the same bytes within dedup_window are one reading. */
  private isRepeat(device: DeviceState, decoder: DecoderName, payload: Buffer, now: number): boolean {
    const hex = payload.toString("hex");
    const last = device.payloads.get(decoder);
    const repeat = last !== undefined && last.hex === hex && now - last.at < this.options.dedup_window;
    if (!repeat) device.payloads.set(decoder, { hex, at: now });
    return repeat;
  }

  private remember(address: string): DeviceState {
    if (this.devices.size >= MAX_DEVICES) this.forgetOldest();
    const configured = this.allowList?.get(address);
    const device = {
      address,
      name: configured?.name ?? address.replace(/:/g, ""),
      bindkey: configured?.bindkey,
      counters: new Map(),
      packetIds: new Map(),
      payloads: new Map(),
      rssiSentAt: Number.NEGATIVE_INFINITY,
      lastSeen: Number.NEGATIVE_INFINITY,
      present: false,
    };
    this.devices.set(address, device);
    return device;
  }

  private forgetOldest(): void {
    let oldest: string | undefined;
    let oldestSeen = Number.POSITIVE_INFINITY;
    for (const [address, device] of this.devices) {
      if (device.lastSeen < oldestSeen) {
        oldest = address;
        oldestSeen = device.lastSeen;
      }
    }
    if (oldest !== undefined) this.devices.delete(oldest);
  }

  private point(deviceName: string, reading: Reading, timestamp?: number): PointInput {
    const value = typeof reading.value === "boolean" ? (reading.value ? 1 : 0) : reading.value;
    const tags = reading.unit ? { unit: reading.unit, ...reading.tags } : reading.tags;
    return {
      metric: `${deviceName}.${reading.quantity}`,
      value,
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(tags ? { tags } : {}),
    };
  }
}
