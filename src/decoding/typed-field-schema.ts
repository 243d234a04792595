/**
 * The config schema of one field of a fixed binary layout (serial `format: binary`, BLE GATT
 * custom characteristics), and its resolution into the shared decoder's TypedField. One schema,
 * so every adapter spells a layout the same way.
 */
import { z } from "zod";
import { BYTE_ORDERS, type DecodedValue, FIELD_TYPES, readTypedField, scaleValue, type TypedField } from "./typed-field.js";

export const layoutFieldSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "letters, digits, _ . - only")
      .describe("Metric name (the adapter's prefix is added in front)"),
    offset: z.number().int().nonnegative().describe("Byte offset of the field in the frame, 0 = first byte"),
    type: z.enum(FIELD_TYPES).describe("int8…int64, uint8…uint64, float32, float64, bool, bit (see `bit`) or string (see `length`)"),
    byte_order: z
      .enum(BYTE_ORDERS)
      .default("ABCD")
      .describe("ABCD/AB/big = big-endian (default), DCBA/BA/little = little-endian, CDAB = word swap, BADC = byte swap in each word"),
    bit: z.number().int().min(0).max(47).optional().describe("For type bit: which bit, 0 = least significant"),
    length: z.number().int().positive().max(1024).optional().describe("For string: bytes; for bool/bit: width in bytes (default 1)"),
    scale: z.number().default(1).describe("Multiplier applied to numbers: value * scale + add"),
    add: z.number().default(0).describe("Added after scale"),
    unit: z.string().max(32).optional().describe("Unit, sent as the `unit` tag"),
  })
  .describe("One field of a fixed binary layout");

export type LayoutField = z.output<typeof layoutFieldSchema>;

/** The field's raw value (before scale), from the shared decoder. Throws FieldOutOfRangeError on a short frame. */
export function readLayoutField(frame: Uint8Array, field: LayoutField): DecodedValue {
  const typed: TypedField = { type: field.type, offset: field.offset, byteOrder: field.byte_order, bit: field.bit, length: field.length };
  return readTypedField(frame, typed);
}

/** The field's value as a point value: scaled numbers, booleans and strings as they are. */
export function layoutFieldValue(frame: Uint8Array, field: LayoutField): number | string | boolean {
  return scaleValue(readLayoutField(frame, field), field.scale, field.add);
}
