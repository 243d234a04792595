/**
 * Register words → typed values. Pure functions, no I/O: the poller hands in the words a read
 * returned (each a 16-bit unsigned number, as on the wire) and gets a number, bigint, string or
 * boolean back. The typed decoding itself is the shared one (src/decoding/typed-field.ts, which
 * explains the ABCD byte-order notation); this file maps registers onto it.
 */
import {
  type ByteOrder,
  type DecodedValue,
  decodeText,
  FIELD_TYPES,
  type FieldType,
  readTypedField,
  toBigEndian,
} from "../../src/decoding/typed-field.js";

export type { ByteOrder, DecodedValue } from "../../src/decoding/typed-field.js";
export { scaleValue, shortestFloat32 } from "../../src/decoding/typed-field.js";

/** The shared field types a register holds: all but the 8-bit ones (a register is 16 bits). */
export const VALUE_TYPES = FIELD_TYPES.filter((type) => type !== "int8" && type !== "uint8") as unknown as readonly [
  Exclude<FieldType, "int8" | "uint8">,
  ...Exclude<FieldType, "int8" | "uint8">[],
];
export type ValueType = (typeof VALUE_TYPES)[number];

/** How many registers a value of this type occupies (strings: `length` characters, two per register). */
export function registerCount(type: ValueType, length = 0): number {
  switch (type) {
    case "bool":
    case "bit":
    case "int16":
    case "uint16":
      return 1;
    case "int32":
    case "uint32":
    case "float32":
      return 2;
    case "int64":
    case "uint64":
    case "float64":
      return 4;
    case "string":
      return Math.max(1, Math.ceil(length / 2));
  }
}

/** Puts the words' bytes into big-endian order according to `order`. */
export function orderBytes(words: readonly number[], order: ByteOrder): Buffer {
  return toBigEndian(wordsToBytes(words), order);
}

/** The words as the wire carries them: each register high byte first. */
function wordsToBytes(words: readonly number[]): Buffer {
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    bytes.writeUInt16BE(word & 0xffff, i * 2);
  });
  return bytes;
}

/**
 * Decodes `words` (exactly registerCount(type) of them, strings may pass fewer) as `type`.
 * 64-bit integers come back as bigint so no precision is lost here; the caller decides.
 */
export function decodeRegisters(
  words: readonly number[],
  type: ValueType,
  order: ByteOrder = "ABCD",
  bit = 0,
  length?: number,
): DecodedValue {
  switch (type) {
    case "bool":
      return (words[0] & 0xffff) !== 0;
    case "bit":
      return ((words[0] >> bit) & 1) === 1;
    case "string":
      return decodeString(words, order === "BADC" || order === "DCBA", length);
  }
  const count = registerCount(type);
  return readTypedField(wordsToBytes(words.slice(0, count)), { type: type as FieldType, offset: 0, byteOrder: order });
}

/**
 * Two characters per register, first character in the high byte (unless the device swaps bytes),
 * at most `length` bytes (an odd length leaves out the last register's second byte), UTF-8, cut
 * at the first NUL and trimmed of the space padding devices use.
 */
export function decodeString(words: readonly number[], swapBytes = false, length = words.length * 2): string {
  const all = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    if (swapBytes) all.writeUInt16LE(word & 0xffff, i * 2);
    else all.writeUInt16BE(word & 0xffff, i * 2);
  });
  return decodeText(all.subarray(0, Math.min(length, all.length)));
}

/** The inverse of decodeRegisters, for test servers and the benchmark. */
export function encodeRegisters(value: DecodedValue, type: ValueType, order: ByteOrder = "ABCD", length = 0): number[] {
  const count = registerCount(type, length);
  const bytes = Buffer.alloc(count * 2);
  switch (type) {
    case "bool":
    case "bit":
      return [value ? 1 : 0];
    case "string":
      bytes.write(String(value), "utf8");
      break;
    case "int16":
      bytes.writeInt16BE(Number(value));
      break;
    case "uint16":
      bytes.writeUInt16BE(Number(value));
      break;
    case "int32":
      bytes.writeInt32BE(Number(value));
      break;
    case "uint32":
      bytes.writeUInt32BE(Number(value));
      break;
    case "int64":
      bytes.writeBigInt64BE(BigInt(value as bigint | number));
      break;
    case "uint64":
      bytes.writeBigUInt64BE(BigInt(value as bigint | number));
      break;
    case "float32":
      bytes.writeFloatBE(Number(value));
      break;
    case "float64":
      bytes.writeDoubleBE(Number(value));
      break;
  }
  const bigEndianWords = Array.from({ length: count }, (_, i) => bytes.readUInt16BE(i * 2));
  if (type === "string") return order === "BADC" || order === "DCBA" ? bigEndianWords.map(swap16) : bigEndianWords;
  // orderBytes is its own inverse for these four orders, so reuse it to scramble.
  const scrambled = orderBytes(bigEndianWords, order);
  return Array.from({ length: count }, (_, i) => scrambled.readUInt16BE(i * 2));
}

function swap16(word: number): number {
  return ((word & 0xff) << 8) | (word >> 8);
}
