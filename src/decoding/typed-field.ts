/**
 * One typed-field decoder for every adapter that reads fixed layouts: Modbus registers, serial
 * binary frames and BLE GATT characteristics. Pure functions, no I/O.
 *
 * Byte order uses the ABCD notation for a 32-bit value whose bytes on the wire are A B C D when
 * the device is big-endian:
 *   ABCD  big-endian words, big-endian bytes (Modbus's standard, network order)
 *   CDAB  word swap: low 16-bit word first, bytes kept (the most common Modbus quirk)
 *   BADC  byte swap inside each 16-bit word, words kept
 *   DCBA  fully little-endian (BLE, most microcontrollers)
 * AB and BA are the 16-bit spellings of ABCD and DCBA; `big` and `little` are aliases too. The
 * same rule extends to 64-bit values (CDAB reverses all four words) and to 16-bit ones (only the
 * byte swap of BADC/DCBA matters). 8-bit values have no order.
 */

export const BYTE_ORDERS = ["ABCD", "CDAB", "BADC", "DCBA", "AB", "BA", "big", "little"] as const;
export type ByteOrderName = (typeof BYTE_ORDERS)[number];
/** The four orders every name above reduces to. */
export type ByteOrder = "ABCD" | "CDAB" | "BADC" | "DCBA";

export const FIELD_TYPES = [
  "bool",
  "bit",
  "int8",
  "uint8",
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
export type FieldType = (typeof FIELD_TYPES)[number];

export type DecodedValue = number | bigint | string | boolean;

/** A field of a fixed layout: where it is and how to read it. */
export interface TypedField {
  type: FieldType;
  /** Byte offset in the frame. */
  offset: number;
  byteOrder?: ByteOrderName;
  /** For `bit`: which bit of the field (read big-endian after reordering), 0 = least significant. */
  bit?: number;
  /** For `string`: bytes; for `bool`/`bit`: the width read (1 or 2 bytes). */
  length?: number;
}

export function canonicalOrder(order: ByteOrderName = "ABCD"): ByteOrder {
  switch (order) {
    case "AB":
    case "big":
      return "ABCD";
    case "BA":
    case "little":
      return "DCBA";
    default:
      return order;
  }
}

/** Bytes a field of this type occupies (strings: `length`; bool/bit: `length` or 1). */
export function fieldSize(type: FieldType, length?: number): number {
  switch (type) {
    case "bool":
    case "bit":
      return length ?? 1;
    case "int8":
    case "uint8":
      return 1;
    case "int16":
    case "uint16":
      return 2;
    case "int32":
    case "uint32":
    case "float32":
      return 4;
    case "int64":
    case "uint64":
    case "float64":
      return 8;
    case "string":
      return Math.max(1, length ?? 1);
  }
}

/**
 * Returns the bytes in big-endian (ABCD) order. The input is read in 16-bit words; an odd final
 * byte stays where it is. The four orders are their own inverses, so this also scrambles.
 */
export function toBigEndian(bytes: Uint8Array, order: ByteOrderName): Buffer {
  const canonical = canonicalOrder(order);
  const out = Buffer.from(bytes);
  if (canonical === "ABCD" || out.length < 2) return out;
  const swapWords = canonical === "CDAB" || canonical === "DCBA";
  const swapBytes = canonical === "BADC" || canonical === "DCBA";
  const words = out.length >> 1;
  const source = Buffer.from(out);
  for (let i = 0; i < words; i++) {
    const from = (swapWords ? words - 1 - i : i) * 2;
    out[i * 2] = swapBytes ? source[from + 1] : source[from];
    out[i * 2 + 1] = swapBytes ? source[from] : source[from + 1];
  }
  return out;
}

export class FieldOutOfRangeError extends Error {
  constructor(field: TypedField, available: number) {
    super(
      `field at offset ${field.offset} (${field.type}, ${fieldSize(field.type, field.length)} bytes) is past the end of a ${available}-byte frame`,
    );
  }
}

/** Reads one field from `frame`. 64-bit integers come back as bigint: no precision is lost here. */
export function readTypedField(frame: Uint8Array, field: TypedField): DecodedValue {
  const size = fieldSize(field.type, field.length);
  if (field.offset < 0 || field.offset + size > frame.length) throw new FieldOutOfRangeError(field, frame.length);
  const raw = frame.subarray(field.offset, field.offset + size);
  if (field.type === "string") return decodeText(raw);
  const bytes = toBigEndian(raw, field.byteOrder ?? "ABCD");
  switch (field.type) {
    case "bool":
      return bytes.some((byte) => byte !== 0);
    case "bit":
      return ((bytes.readUIntBE(0, Math.min(size, 6)) >> (field.bit ?? 0)) & 1) === 1;
    case "int8":
      return bytes.readInt8(0);
    case "uint8":
      return bytes.readUInt8(0);
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

/** UTF-8, cut at the first NUL and trimmed of the space padding devices use. */
export function decodeText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end === -1 ? bytes.length : end))
    .toString("utf8")
    .replace(/\s+$/, "");
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

/** Applies `value * scale + offset` to numbers (bigints become numbers); booleans and strings pass through. */
export function scaleValue(value: DecodedValue, scale = 1, offset = 0): number | string | boolean {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value !== "number") return value;
  if (scale === 1 && offset === 0) return value;
  return value * scale + offset;
}
