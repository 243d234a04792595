/**
 * The pure register decoder against the typed-value vectors from the pymodbus test suite
 * (test/fixtures/modbus/modbus_vectors.json, BSD-3-Clause) and against hand-laid byte orders.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeRegisters, decodeString, encodeRegisters, shortestFloat32, type ValueType } from "../../../adapters/modbus/decode.js";

interface Conversion {
  datatype: string;
  value: unknown;
  registers: number[];
  registers_hex: string[];
  string_encoding: string | null;
}

const vectors = JSON.parse(readFileSync(new URL("../../fixtures/modbus/modbus_vectors.json", import.meta.url), "utf8")) as {
  register_conversion: Conversion[];
};
const conversions = vectors.register_conversion;

const TYPES: Record<string, ValueType> = {
  INT16: "int16",
  UINT16: "uint16",
  INT32: "int32",
  UINT32: "uint32",
  INT64: "int64",
  UINT64: "uint64",
  FLOAT32: "float32",
  FLOAT64: "float64",
};
const WIDTH: Record<string, number> = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, int64: 4, uint64: 4, float64: 4 };

/** pymodbus compares floats after rounding to 6 decimals; 64-bit integers are exact from the hex. */
function expectSame(type: ValueType, decoded: unknown, expected: number, hexWords: string[]) {
  if (type === "float32" || type === "float64") expect(Number((decoded as number).toFixed(6))).toBe(Number(expected.toFixed(6)));
  else if (type === "int64" || type === "uint64") {
    const exact = BigInt(`0x${hexWords.join("")}`);
    expect(decoded).toBe(type === "int64" ? BigInt.asIntN(64, exact) : exact);
    expect(Number(decoded)).toBe(expected);
  } else expect(decoded).toBe(expected);
}

describe("pymodbus typed-value vectors", () => {
  const numeric = conversions.filter((c) => TYPES[c.datatype]);
  it(`has the numeric vectors (${numeric.length})`, () => expect(numeric.length).toBeGreaterThanOrEqual(25));

  for (const vector of numeric) {
    const type = TYPES[vector.datatype];
    it(`${vector.datatype} ${vector.registers_hex.join(" ")} → ${JSON.stringify(vector.value)}`, () => {
      const width = WIDTH[type];
      const expected = Array.isArray(vector.value) ? (vector.value as number[]) : [vector.value as number];
      expect(vector.registers.length).toBe(width * expected.length);
      expected.forEach((value, i) => {
        const words = vector.registers.slice(i * width, (i + 1) * width);
        const decoded = decodeRegisters(words, type, "ABCD");
        expectSame(type, decoded, value, vector.registers_hex.slice(i * width, (i + 1) * width));
        // pymodbus word_order="little" means the registers reversed: our CDAB.
        expectSame(
          type,
          decodeRegisters([...words].reverse(), type, "CDAB"),
          value,
          vector.registers_hex.slice(i * width, (i + 1) * width),
        );
      });
    });
  }

  const strings = conversions.filter((c) => c.datatype === "STRING" && c.string_encoding !== "cp437");
  for (const vector of strings) {
    it(`STRING ${vector.registers_hex.join(" ")} → ${JSON.stringify(vector.value)}`, () => {
      expect(decodeString(vector.registers)).toBe(vector.value);
    });
  }
  // The cp437 vector (0x80 = Ç) is left out on purpose: the adapter decodes strings as UTF-8 only,
  // as its README says; cp437 devices are rare enough not to carry a code page table for them.

  const bits = conversions.filter((c) => c.datatype === "BITS");
  for (const vector of bits) {
    it(`BITS ${vector.registers_hex.join(" ")}`, () => {
      const expected = vector.value as boolean[];
      // pymodbus lists a register's bits high byte first, each byte least significant bit first,
      // so its element i of register r is our `bit` (i < 8 ? 8 + i : i - 8) of that register.
      expected.forEach((value, i) => {
        const register = vector.registers[Math.floor(i / 16)];
        const j = i % 16;
        const ourBit = j < 8 ? 8 + j : j - 8;
        expect(decodeRegisters([register], "bit", "ABCD", ourBit)).toBe(value);
      });
    });
  }
});

describe("byte orders", () => {
  // 0x41200000 = 10.0f laid out by hand for each notation (bytes A=41 B=20 C=00 D=00).
  const layouts = {
    ABCD: [0x4120, 0x0000],
    CDAB: [0x0000, 0x4120],
    BADC: [0x2041, 0x0000],
    DCBA: [0x0000, 0x2041],
  } as const;
  for (const [order, words] of Object.entries(layouts)) {
    it(`float32 10.0 in ${order}`, () => {
      expect(decodeRegisters(words, "float32", order as keyof typeof layouts)).toBe(10);
      expect(encodeRegisters(10, "float32", order as keyof typeof layouts)).toEqual(words);
    });
  }

  it("uint64 CDAB reverses all four registers", () => {
    expect(decodeRegisters([0x0708, 0x0506, 0x0304, 0x0102], "uint64", "CDAB")).toBe(0x0102030405060708n);
    expect(decodeRegisters([0x0807, 0x0605, 0x0403, 0x0201], "uint64", "DCBA")).toBe(0x0102030405060708n);
    expect(decodeRegisters([0x0201, 0x0403, 0x0605, 0x0807], "uint64", "BADC")).toBe(0x0102030405060708n);
  });

  it("int16 with swapped bytes", () => {
    expect(decodeRegisters([0x0281], "int16", "BADC")).toBe(-32510);
    expect(decodeRegisters([0x8102], "int16", "CDAB")).toBe(-32510);
  });

  it("strings stop at NUL, drop padding, and honour byte swap", () => {
    expect(decodeString([0x5364, 0x6d36, 0x3330, 0x2020])).toBe("Sdm630");
    expect(decodeString([0x6453, 0x366d, 0x0030], true)).toBe("Sdm60");
  });
});

describe("float32 presentation", () => {
  it("gives the shortest decimal that is still the same float32", () => {
    const b = Buffer.alloc(4);
    for (const meant of [230.02, 0.1, 49.99, -1234.56, 3.4e38, 1e-30]) {
      b.writeFloatBE(meant);
      const decoded = decodeRegisters([b.readUInt16BE(0), b.readUInt16BE(2)], "float32") as number;
      expect(decoded).toBe(meant);
      expect(Math.fround(decoded)).toBe(b.readFloatBE(0));
    }
    // A float32 that needs all 9 digits keeps them.
    expect(shortestFloat32(Math.fround(16777217 / 3))).toBe(Math.fround(16777217 / 3));
    expect(shortestFloat32(Number.NaN)).toBeNaN();
  });
});
