import { describe, expect, it } from "vitest";
import { FieldOutOfRangeError, readTypedField, toBigEndian } from "../../src/decoding/typed-field.js";
import { layoutFieldSchema, layoutFieldValue } from "../../src/decoding/typed-field-schema.js";

const bytes = (hex: string) => Buffer.from(hex.replace(/ /g, ""), "hex");

describe("readTypedField", () => {
  it("reads every integer width signed and unsigned, big- and little-endian", () => {
    const frame = bytes("ff 80 01 fe ff ff ff ff ff ff ff fe");
    expect(readTypedField(frame, { type: "uint8", offset: 0 })).toBe(255);
    expect(readTypedField(frame, { type: "int8", offset: 1 })).toBe(-128);
    expect(readTypedField(frame, { type: "uint16", offset: 2 })).toBe(0x01fe);
    expect(readTypedField(frame, { type: "uint16", offset: 2, byteOrder: "BA" })).toBe(0xfe01);
    expect(readTypedField(frame, { type: "int16", offset: 2, byteOrder: "little" })).toBe(-511);
    expect(readTypedField(frame, { type: "int32", offset: 4 })).toBe(-1);
    expect(readTypedField(frame, { type: "uint32", offset: 4 })).toBe(0xffffffff);
    expect(readTypedField(frame, { type: "int64", offset: 4 })).toBe(-2n);
    expect(readTypedField(frame, { type: "uint64", offset: 4, byteOrder: "DCBA" })).toBe(0xfeffffffffffffffn);
  });

  it("reads a float32 in each of the four word/byte orders (230.02 as a meter sends it)", () => {
    const big = Buffer.alloc(4);
    big.writeFloatBE(230.02);
    const [a, b, c, d] = big;
    const layouts = { ABCD: [a, b, c, d], CDAB: [c, d, a, b], BADC: [b, a, d, c], DCBA: [d, c, b, a] } as const;
    for (const [order, wire] of Object.entries(layouts)) {
      expect(readTypedField(Buffer.from(wire), { type: "float32", offset: 0, byteOrder: order as keyof typeof layouts })).toBe(230.02);
    }
  });

  it("reads float64, bool, bit and NUL-terminated padded strings", () => {
    const frame = Buffer.alloc(8);
    frame.writeDoubleLE(-12.5);
    expect(readTypedField(frame, { type: "float64", offset: 0, byteOrder: "little" })).toBe(-12.5);
    expect(readTypedField(bytes("00 04"), { type: "bit", offset: 0, length: 2, bit: 2 })).toBe(true);
    expect(readTypedField(bytes("00 04"), { type: "bit", offset: 1, bit: 1 })).toBe(false);
    expect(readTypedField(bytes("00"), { type: "bool", offset: 0 })).toBe(false);
    expect(readTypedField(Buffer.from("SDM630  \0junk"), { type: "string", offset: 0, length: 13 })).toBe("SDM630");
  });

  it("refuses a field past the end of the frame with the offset and sizes", () => {
    expect(() => readTypedField(bytes("01 02 03"), { type: "uint32", offset: 0 })).toThrow(FieldOutOfRangeError);
    expect(() => readTypedField(bytes("01 02 03"), { type: "uint16", offset: 2 })).toThrow(/offset 2 \(uint16, 2 bytes\).*3-byte frame/);
  });

  it("reorders 64-bit values word by word (CDAB reverses all four words)", () => {
    expect([...toBigEndian(bytes("0708 0506 0304 0102"), "CDAB")]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...toBigEndian(bytes("0201 0403 0605 0807"), "BADC")]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("layout fields from config", () => {
  it("applies defaults (big-endian, scale 1) and scales the value (a load cell in 0.01 kg, little-endian)", () => {
    const field = layoutFieldSchema.parse({ name: "load", offset: 1, type: "int16", byte_order: "BA", scale: 0.01 });
    expect(layoutFieldValue(bytes("aa 30 f8"), field)).toBeCloseTo(-20);
    const plain = layoutFieldSchema.parse({ name: "count", offset: 0, type: "uint16" });
    expect(plain.byte_order).toBe("ABCD");
    expect(layoutFieldValue(bytes("01 00"), plain)).toBe(256);
  });

  it("rejects unknown keys and types, so a typo in the layout is a config error", () => {
    expect(layoutFieldSchema.safeParse({ name: "x", offset: 0, type: "int24" }).success).toBe(false);
    expect(layoutFieldSchema.safeParse({ name: "x", offset: 0, type: "int16", endian: "little" }).success).toBe(false);
  });
});
