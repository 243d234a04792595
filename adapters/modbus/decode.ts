/**
 * Register words → typed values. Pure functions, no I/O: the poller hands in the words a read
 * returned (each a 16-bit unsigned number, as on the wire) and gets a number, bigint, string or
 * boolean back.
 *
 * Byte order uses the ABCD notation for a 32-bit value whose bytes on the wire are A B C D when
 * the device is big-endian (the Modbus default):
 *   ABCD  big-endian words, big-endian bytes (the standard)
 *   CDAB  word swap: low word first, bytes kept (the most common quirk)
 *   BADC  byte swap inside each register, words kept
 *   DCBA  fully little-endian
 * The same rule extends to 64-bit values (CDAB reverses all four registers) and to 16-bit ones
 * (only the byte swap of BADC/DCBA matters).
 */

export type ByteOrder = "ABCD" | "CDAB" | "BADC" | "DCBA";

export const VALUE_TYPES = [
  "bool",
  "bit",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
  "string",
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export type DecodedValue = number | bigint | string | boolean;

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
  const swapWords = order === "CDAB" || order === "DCBA";
  const swapBytes = order === "BADC" || order === "DCBA";
  const sequence = swapWords ? [...words].reverse() : words;
  const bytes = Buffer.alloc(sequence.length * 2);
  sequence.forEach((word, i) => {
    const value = word & 0xffff;
    if (swapBytes) bytes.writeUInt16LE(value, i * 2);
    else bytes.writeUInt16BE(value, i * 2);
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
  const bytes = orderBytes(words.slice(0, registerCount(type)), order);
  switch (type) {
    case "int16":
      return bytes.readInt16BE(0);
    case "uint16":
      return bytes.readUInt16BE(0);
    case "int32":
      return bytes.readInt32BE(0);
    case "uint32":
      return bytes.readUInt32BE(0);
    case "int64":
      return bytes.readBigInt64BE(0);
    case "uint64":
      return bytes.readBigUInt64BE(0);
    case "float32":
      return shortestFloat32(bytes.readFloatBE(0));
    case "float64":
      return bytes.readDoubleBE(0);
  }
}

/**
 * The shortest decimal that is the same float32: a meter's 230.02 V arrives as the float32 nearest
 * to it, which as a double prints 230.02000427246094. No precision is lost: both are one float32.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  // Starting at 6 digits loses nothing: a normal float32 is within 3e-8 (relative) of any shorter decimal
  // that round-trips, closer than half a unit in the 6th digit, so rounding to 6 digits finds it.
  // (Denormals may keep a digit more than needed; they still round-trip.)
  for (let digits = 6; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
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
  const bytes = all.subarray(0, Math.min(length, all.length));
  const end = bytes.indexOf(0);
  return bytes
    .subarray(0, end === -1 ? bytes.length : end)
    .toString("utf8")
    .replace(/\s+$/, "");
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

/** Applies `value * scale + offset` to numbers; booleans and strings pass through. */
export function scaleValue(value: DecodedValue, scale = 1, offset = 0): number | string | boolean {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value !== "number") return value;
  if (scale === 1 && offset === 0) return value;
  return value * scale + offset;
}
