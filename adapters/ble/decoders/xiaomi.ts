/**
 * Xiaomi MiBeacon (service data under UUID 0xFE95), versions 2–5. The frame: 2 bytes frame
 * control (bit 3 encrypted, 4 MAC included, 5 capability included, 6 object included, 7 mesh,
 * bits 12–15 version), 2 bytes product id, 1 byte frame counter, the MAC reversed (optional), a
 * capability byte (plus an I/O byte when its bit 5 is set), then objects: 2 bytes type, 1 byte
 * length, value. Encrypted v4/v5 frames end with a 3-byte counter extension and a 4-byte MIC
 * (AES-128-CCM, associated data 0x11); encrypted v2/v3 ("legacy") frames end with a 3-byte
 * counter extension and one byte, and carry no usable tag. Pure: bytes and a key in, readings out.
 */
import { createDecipheriv } from "node:crypto";
import { decryptCcm, macBytes } from "./bthome.js";
import type { DecodeResult, Reading } from "./reading.js";
import { decodeXiaomiObject, type ObjectSink, XIAOMI_MODELS } from "./xiaomi-objects.js";

export const XIAOMI_UUID = "fe95";

const V4_AAD = Buffer.from([0x11]);
/** Legacy bindkeys are 12 bytes; the devices fill in these 4 fixed bytes after the 6th. */
const LEGACY_KEY_FILL = Buffer.from("8d3d3c97", "hex");

export interface XiaomiInput {
  /** Service data after the UUID. */
  data: Uint8Array;
  /** The advertiser's address, `aa:bb:cc:dd:ee:ff`. */
  address: string;
  /** 16-byte key (v4/v5) or 12-byte key (v2/v3), for encrypted devices. */
  bindkey?: Buffer;
  /** The last counter accepted from this device (replay protection); the result says the new one. */
  lastCounter?: number;
}

export interface XiaomiResult extends DecodeResult {
  /** The full 32-bit counter (frame counter and its 3-byte extension) of an accepted encrypted frame. */
  counter?: number;
  /** The product id, and its model where this decoder knows it. */
  productId?: number;
  model?: string;
}

export function decodeXiaomi(input: XiaomiInput): XiaomiResult {
  const data = Buffer.isBuffer(input.data) ? input.data : Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  if (data.length < 5) return { readings: [], problem: "malformed" };
  const control = data.readUInt16LE(0);
  const version = control >> 12;
  if ((control & 0x80) !== 0 || version < 2) return { readings: [], problem: "unsupported_version" };
  const productId = data.readUInt16LE(2);
  const model = XIAOMI_MODELS[productId];
  const refused = (problem?: string): XiaomiResult => {
    const result: XiaomiResult = { readings: [], productId };
    if (model) result.model = model;
    if (problem) result.problem = problem;
    return result;
  };
  const macIncluded = (control & 0x10) !== 0;
  let offset = macIncluded ? 11 : 5;
  if (data.length < offset) return refused("malformed");
  if (control & 0x20) {
    if (data.length < offset + 1) return refused("malformed");
    offset += (data[offset] & 0x20) !== 0 ? 2 : 1;
  }
  // A frame without objects only announces the device (pairing, discovery).
  if ((control & 0x40) === 0) return refused();
  const packetId = data[4];
  let payload = data.subarray(offset);
  let counter: number | undefined;
  const legacy = version <= 3;
  if (control & 0x08) {
    if (!input.bindkey) return refused("no_bindkey");
    const tail = legacy ? 4 : 7;
    if (data.length < offset + tail + (legacy ? 3 : 2)) return refused("malformed");
    const extension = data.subarray(data.length - tail, data.length - tail + 3);
    counter = (packetId | (extension.readUIntLE(0, 3) << 8)) >>> 0;
    if (input.lastCounter !== undefined && counter <= input.lastCounter) return refused("replayed_counter");
    // Both nonces hold the MAC as sent on air, least significant byte first.
    const mac = macIncluded ? data.subarray(5, 11) : macBytes(input.address).reverse();
    const ciphertext = data.subarray(offset, data.length - tail);
    const plain = legacy
      ? decryptLegacy(input.bindkey, Buffer.concat([data.subarray(0, 5), extension, mac.subarray(0, 5)]), ciphertext)
      : decryptCcm(input.bindkey, Buffer.concat([mac, data.subarray(2, 5), extension]), ciphertext, data.subarray(data.length - 4), V4_AAD);
    if (!plain) return refused("decrypt_failures");
    payload = plain;
  }
  const result: XiaomiResult = decodeObjects(payload, model);
  // A legacy frame has no tag: a wrong key shows only as objects that do not fit together.
  if (legacy && counter !== undefined && result.problem === "malformed") return refused("decrypt_failures");
  result.productId = productId;
  if (model) result.model = model;
  // The frame counter goes out only with decoded objects: a refused frame must not mark its counter as seen.
  result.packetId = packetId;
  if (counter !== undefined) result.counter = counter;
  return result;
}

/**
 * v2/v3: AES-CCM without a checkable tag, so only its counter-mode half applies. Block i of the
 * key stream is AES(flags ‖ nonce ‖ i) with flags = 1 (2-byte block counter), starting at i = 1.
 */
function decryptLegacy(bindkey: Buffer, nonce: Buffer, ciphertext: Buffer): Buffer | undefined {
  const key = bindkey.length === 12 ? Buffer.concat([bindkey.subarray(0, 6), LEGACY_KEY_FILL, bindkey.subarray(6)]) : bindkey;
  if (key.length !== 16 || nonce.length !== 13) return undefined;
  const firstBlock = Buffer.concat([Buffer.from([0x01]), nonce, Buffer.from([0x00, 0x01])]);
  const decipher = createDecipheriv("aes-128-ctr", key, firstBlock);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

function decodeObjects(payload: Buffer, model: string | undefined): DecodeResult {
  // Later objects of one frame update earlier values (a door object resets "left open"), as in the app.
  const readings: Reading[] = [];
  const sink: ObjectSink = {
    set: (quantity, value, unit) => {
      const reading: Reading = unit ? { quantity, value, unit } : { quantity, value };
      const at = readings.findIndex((r) => r.quantity === quantity);
      if (at >= 0) readings[at] = reading;
      else readings.push(reading);
    },
  };
  let problem: string | undefined;
  let offset = 0;
  while (offset + 3 <= payload.length) {
    const type = payload.readUInt16LE(offset);
    const length = payload[offset + 2];
    const end = offset + 3 + length;
    if (end > payload.length) {
      problem = "malformed";
      break;
    }
    if (!decodeXiaomiObject(type, payload.subarray(offset + 3, end), model, sink)) problem ??= "unknown_objects";
    offset = end;
  }
  return problem ? { readings, problem } : { readings };
}
