/**
 * BTHome v2 (https://bthome.io/format/): service data under UUID 0xFCD2. Byte 0 is the device
 * info (bit 0 encrypted, bit 1 MAC included, bit 2 trigger-based, bits 5–7 version); then objects,
 * each an id byte and a little-endian value whose size and factor the id fixes. Encrypted
 * payloads are AES-128-CCM with a 4-byte MIC, a 4-byte counter and the nonce
 * MAC ‖ UUID (d2 fc) ‖ device info ‖ counter. Pure: bytes and a key in, readings out.
 */
import { createDecipheriv } from "node:crypto";
import { type DecodeResult, numberRepeats, type Reading, roundTo } from "./reading.js";

export const BTHOME_UUID = "fcd2";

type NumberObject = { name: string; size: 1 | 2 | 3 | 4; signed?: boolean; factor: number; unit?: string };
type SpecialObject = { name: string; kind: "binary" | "button" | "dimmer" | "text" | "raw" | "timestamp" | "skip"; size: number };

const n = (name: string, size: 1 | 2 | 3 | 4, factor: number, unit?: string, signed = false): NumberObject => ({
  name,
  size,
  factor,
  unit,
  signed,
});
const binary = (name: string): SpecialObject => ({ name, kind: "binary", size: 1 });

/** Object id → layout. Names are the ones Home Assistant's bthome-ble uses, so the vectors compare one to one. */
const OBJECTS: Record<number, NumberObject | SpecialObject> = {
  0: n("packet_id", 1, 1),
  1: n("battery", 1, 1, "%"),
  2: n("temperature", 2, 0.01, "°C", true),
  3: n("humidity", 2, 0.01, "%"),
  4: n("pressure", 3, 0.01, "hPa"),
  5: n("illuminance", 3, 0.01, "lx"),
  6: n("mass", 2, 0.01, "kg"),
  7: n("mass", 2, 0.01, "lb"),
  8: n("dew_point", 2, 0.01, "°C", true),
  9: n("count", 1, 1),
  10: n("energy", 3, 0.001, "kWh"),
  11: n("power", 3, 0.01, "W"),
  12: n("voltage", 2, 0.001, "V"),
  13: n("pm25", 2, 1, "µg/m³"),
  14: n("pm10", 2, 1, "µg/m³"),
  15: binary("generic"),
  16: binary("power"),
  17: binary("opening"),
  18: n("carbon_dioxide", 2, 1, "ppm"),
  19: n("volatile_organic_compounds", 2, 1, "µg/m³"),
  20: n("moisture", 2, 0.01, "%"),
  21: binary("battery_low"),
  22: binary("battery_charging"),
  23: binary("carbon_monoxide"),
  24: binary("cold"),
  25: binary("connectivity"),
  26: binary("door"),
  27: binary("garage_door"),
  28: binary("gas"),
  29: binary("heat"),
  30: binary("light"),
  31: binary("lock"),
  32: binary("moisture"),
  33: binary("motion"),
  34: binary("moving"),
  35: binary("occupancy"),
  36: binary("plug"),
  37: binary("presence"),
  38: binary("problem"),
  39: binary("running"),
  40: binary("safety"),
  41: binary("smoke"),
  42: binary("sound"),
  43: binary("tamper"),
  44: binary("vibration"),
  45: binary("window"),
  46: n("humidity", 1, 1, "%"),
  47: n("moisture", 1, 1, "%"),
  58: { name: "button", kind: "button", size: 1 },
  60: { name: "dimmer", kind: "dimmer", size: 2 },
  61: n("count", 2, 1),
  62: n("count", 4, 1),
  63: n("rotation", 2, 0.1, "°", true),
  64: n("distance", 2, 1, "mm"),
  65: n("distance", 2, 0.1, "m"),
  66: n("duration", 3, 0.001, "s"),
  67: n("current", 2, 0.001, "A"),
  68: n("speed", 2, 0.01, "m/s"),
  69: n("temperature", 2, 0.1, "°C", true),
  70: n("uv_index", 1, 0.1),
  71: n("volume", 2, 0.1, "L"),
  72: n("volume", 2, 1, "mL"),
  73: n("volume_flow_rate", 2, 0.001, "m³/h"),
  74: n("voltage", 2, 0.1, "V"),
  75: n("gas", 3, 0.001, "m³"),
  76: n("gas", 4, 0.001, "m³"),
  77: n("energy", 4, 0.001, "kWh"),
  78: n("volume", 4, 0.001, "L"),
  79: n("water", 4, 0.001, "L"),
  80: { name: "timestamp", kind: "timestamp", size: 4 },
  81: n("acceleration", 2, 0.001, "m/s²"),
  82: n("gyroscope", 2, 0.001, "°/s"),
  83: { name: "text", kind: "text", size: -1 },
  84: { name: "raw", kind: "raw", size: -1 },
  85: n("volume_storage", 4, 0.001, "L"),
  86: n("conductivity", 2, 1, "µS/cm"),
  87: n("temperature", 1, 1, "°C", true),
  88: n("temperature", 1, 0.35, "°C", true),
  89: n("count", 1, 1, undefined, true),
  90: n("count", 2, 1, undefined, true),
  91: n("count", 4, 1, undefined, true),
  92: n("power", 4, 0.01, "W", true),
  93: n("current", 2, 0.001, "A", true),
  94: n("direction", 2, 0.01, "°"),
  95: n("precipitation", 2, 0.1, "mm"),
  96: n("channel", 1, 1),
  97: n("rotational_speed", 2, 1, "rpm"),
  98: n("speed", 4, 0.000001, "m/s", true),
  99: n("acceleration", 4, 0.000001, "m/s²", true),
  100: n("light_level", 1, 1),
  240: { name: "device_type", kind: "skip", size: 2 },
  241: { name: "firmware", kind: "skip", size: 4 },
  242: { name: "firmware", kind: "skip", size: 3 },
};

const BUTTON_EVENTS: Record<number, string> = {
  1: "press",
  2: "double_press",
  3: "triple_press",
  4: "long_press",
  5: "long_double_press",
  6: "long_triple_press",
  128: "hold_press",
};
const DIMMER_EVENTS: Record<number, string> = { 1: "rotate_left", 2: "rotate_right" };

export interface BthomeInput {
  /** Service data after the UUID. */
  data: Uint8Array;
  /** The advertiser's address, `aa:bb:cc:dd:ee:ff`. */
  address: string;
  /** 16-byte AES key, for encrypted devices. */
  bindkey?: Buffer;
  /** The last counter accepted from this device (replay protection); the result says the new one. */
  lastCounter?: number;
}

export interface BthomeResult extends DecodeResult {
  /** The encryption counter of an accepted encrypted packet. */
  counter?: number;
}

export function decodeBthome(input: BthomeInput): BthomeResult {
  const { data } = input;
  if (data.length < 1) return { readings: [], problem: "malformed" };
  const info = data[0];
  if (info >> 5 !== 2) return { readings: [], problem: "unsupported_version" };
  const encrypted = (info & 0x01) !== 0;
  const macIncluded = (info & 0x02) !== 0;
  let offset = 1;
  let mac = macBytes(input.address);
  if (macIncluded) {
    if (data.length < 7) return { readings: [], problem: "malformed" };
    mac = Buffer.from(data.subarray(1, 7)).reverse();
    offset = 7;
  }
  let payload: Buffer = Buffer.from(data.subarray(offset));
  let counter: number | undefined;
  if (encrypted) {
    if (!input.bindkey) return { readings: [], problem: "no_bindkey" };
    if (payload.length < 8) return { readings: [], problem: "malformed" };
    const counterBytes = payload.subarray(payload.length - 8, payload.length - 4);
    counter = counterBytes.readUInt32LE(0);
    if (input.lastCounter !== undefined && counter <= input.lastCounter) return { readings: [], problem: "replayed_counter" };
    const nonce = Buffer.concat([mac, Buffer.from([0xd2, 0xfc, info]), counterBytes]);
    const plain = decryptCcm(input.bindkey, nonce, payload.subarray(0, payload.length - 8), payload.subarray(payload.length - 4));
    if (!plain) return { readings: [], problem: "decrypt_failures" };
    payload = plain;
  }
  const result: BthomeResult = decodeObjects(payload);
  if (counter !== undefined) result.counter = counter;
  return result;
}

/** AES-128-CCM with a 4-byte tag and no associated data; undefined when the tag does not verify (wrong key). */
export function decryptCcm(key: Buffer, nonce: Buffer, ciphertext: Uint8Array, tag: Uint8Array, aad?: Buffer): Buffer | undefined {
  if (key.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-128-ccm", key, nonce, { authTagLength: tag.length });
    decipher.setAuthTag(Buffer.from(tag));
    if (aad) decipher.setAAD(aad, { plaintextLength: ciphertext.length });
    const out = decipher.update(Buffer.from(ciphertext));
    decipher.final();
    return out;
  } catch {
    return undefined;
  }
}

export function macBytes(address: string): Buffer {
  return Buffer.from(address.replace(/[:-]/g, ""), "hex");
}

function decodeObjects(payload: Buffer): DecodeResult {
  const readings: Reading[] = [];
  const events: Reading[] = [];
  let packetId: number | undefined;
  let problem: string | undefined;
  let offset = 0;
  while (offset < payload.length) {
    const id = payload[offset++];
    const object = OBJECTS[id];
    if (!object) {
      // Sizes are not self-describing: past an unknown id nothing can be read safely.
      problem = "unknown_objects";
      break;
    }
    const size = "kind" in object && object.size < 0 ? 1 + (payload[offset] ?? 0) : object.size;
    if (offset + size > payload.length) {
      problem = "malformed";
      break;
    }
    const at = offset;
    offset += size;
    if (!("kind" in object)) {
      const raw = object.signed ? payload.readIntLE(at, object.size) : payload.readUIntLE(at, object.size);
      if (id === 0x00) {
        // A sender's packet counter: used to drop repeats, not worth a metric of its own.
        packetId = raw;
        continue;
      }
      readings.push({ quantity: object.name, value: roundTo(raw * object.factor, object.factor), unit: object.unit });
      continue;
    }
    const bytes = payload.subarray(at, at + size);
    switch (object.kind) {
      case "binary":
        readings.push({ quantity: object.name, value: bytes[0] !== 0 });
        break;
      case "button":
        events.push({ quantity: "button", value: BUTTON_EVENTS[bytes[0]] ?? "" });
        break;
      case "dimmer": {
        const event = DIMMER_EVENTS[bytes[0]];
        events.push({ quantity: "dimmer", value: event ? `${event} ${bytes[1]}` : "" });
        break;
      }
      case "timestamp":
        readings.push({ quantity: "timestamp", value: bytes.readUInt32LE(0) * 1000, unit: "ms" });
        break;
      case "text": {
        const text = new TextDecoder("utf-8", { fatal: true });
        try {
          readings.push({ quantity: "text", value: text.decode(bytes.subarray(1)) });
        } catch {
          problem = "malformed";
        }
        break;
      }
      case "raw":
        readings.push({ quantity: "raw", value: bytes.subarray(1).toString("hex") });
        break;
      case "skip":
        break;
    }
  }
  // Buttons are numbered by position (button_1 … even when one of them reports "none"), then the
  // ones with nothing to say are left out.
  const numbered = numberRepeats(readings);
  if (events.length > 0) for (const event of numberRepeats(events)) if (event.value !== "") numbered.push(event);
  return { readings: numbered, packetId, problem };
}
