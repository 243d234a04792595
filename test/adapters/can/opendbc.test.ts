/**
 * Real frames from VW MQB and FCA Giorgio cars (opendbc's checksum tests, MIT) decoded with the
 * real opendbc DBCs. The source asserts no physical values, so the checks are: (1) every signal of
 * every frame equals what a naive bit-by-bit reference decoder (the big-endian "MSB-first" bit
 * numbering, with BigInt) computes from the DBC definition; (2) the facts the source states: the 16
 * VW frames of a message carry COUNTER 0..15, and CHECKSUM sits in the byte opendbc checks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CompiledDatabase } from "../../../adapters/can/dbc/database.js";
import type { DbcSignal } from "../../../adapters/can/dbc/model.js";
import { parseDbc } from "../../../adapters/can/dbc/parser.js";

const DIR = join(import.meta.dirname, "../../fixtures/can/opendbc");
const cases = JSON.parse(readFileSync(join(DIR, "real_vehicle_checksum_frames.json"), "utf8")).cases as {
  dbc: string;
  message: string;
  address: number;
  counter_field: string;
  checksum_field: string;
  frames: string[];
}[];

function referenceRaw(signal: DbcSignal, data: Uint8Array): bigint {
  let raw = 0n;
  if (signal.littleEndian) {
    for (let k = signal.length - 1; k >= 0; k--) {
      const n = signal.startBit + k;
      raw = (raw << 1n) | BigInt((data[n >> 3] >> (n & 7)) & 1);
    }
  } else {
    // Motorola: renumber bits MSB-first across the payload; the signal is then contiguous.
    const msb = (signal.startBit >> 3) * 8 + (7 - (signal.startBit & 7));
    for (let j = msb; j < msb + signal.length; j++) raw = (raw << 1n) | BigInt((data[j >> 3] >> (7 - (j & 7))) & 1);
  }
  return signal.signed ? BigInt.asIntN(signal.length, raw) : raw;
}

const databases = new Map<string, CompiledDatabase>();
function database(name: string): CompiledDatabase {
  let db = databases.get(name);
  if (!db) {
    const { db: parsed, problems } = parseDbc(readFileSync(join(DIR, name), "latin1"), name);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    db = new CompiledDatabase(parsed.messages);
    databases.set(name, db);
  }
  return db;
}

function decode(dbc: string, address: number, hex: string) {
  const db = database(dbc);
  const compiled = db.lookup(address, false);
  if (!compiled) throw new Error(`${dbc} has no message ${address}`);
  const data = Buffer.from(hex, "hex");
  const size = compiled.signals.length;
  const idx = new Int32Array(size);
  const val = new Float64Array(size);
  const raw = new Float64Array(size);
  const n = compiled.decode(data, data.length, idx, val, raw);
  const values = new Map<string, number>();
  for (let k = 0; k < n; k++) values.set(compiled.signals[idx[k]].name, val[k]);
  return { compiled, data, values };
}

describe("opendbc real vehicle frames", () => {
  it("covers 27 messages and 380 frames", () => {
    expect(cases).toHaveLength(27);
    expect(cases.reduce((sum, c) => sum + c.frames.length, 0)).toBe(380);
  });

  for (const c of cases) {
    it(`${c.dbc} ${c.message}: every signal matches the bit-by-bit reference`, () => {
      let signals = 0;
      for (const hex of c.frames) {
        const { compiled, data, values } = decode(c.dbc, c.address, hex);
        expect(compiled.message.name).toBe(c.message);
        for (const signal of compiled.signals) {
          if (signal.multiplexer) continue;
          const raw = Number(referenceRaw(signal, data));
          const expected = signal.factor === 1 && signal.offset === 0 ? raw : raw * signal.factor + signal.offset;
          expect(values.get(signal.name), `${c.message}.${signal.name} of ${hex}`).toBe(expected);
          signals++;
        }
      }
      expect(signals).toBeGreaterThan(0);
    });
  }

  it("VW: each message's 16 frames carry COUNTER 0..15 and CHECKSUM is byte 0", () => {
    for (const c of cases.filter((x) => x.dbc === "vw_mqb.dbc" && x.counter_field === "COUNTER")) {
      const counters = c.frames.map((hex) => decode(c.dbc, c.address, hex).values.get("COUNTER"));
      expect(
        [...counters].sort((a, b) => (a as number) - (b as number)),
        c.message,
      ).toEqual([...Array(16).keys()]);
      for (const hex of c.frames) expect(decode(c.dbc, c.address, hex).values.get("CHECKSUM")).toBe(Number.parseInt(hex.slice(0, 2), 16));
    }
  });

  it("FCA (Motorola signals): consecutive COUNTERs and CHECKSUM in the last byte", () => {
    for (const c of cases.filter((x) => x.dbc === "fca_giorgio.dbc")) {
      const decoded = c.frames.map((hex) => decode(c.dbc, c.address, hex).values);
      const counters = decoded.map((v) => v.get("COUNTER") as number);
      for (let i = 1; i < counters.length; i++) expect((counters[i] - counters[i - 1] + 16) % 16, c.message).toBe(1);
      for (const [i, hex] of c.frames.entries()) expect(decoded[i].get("CHECKSUM")).toBe(Number.parseInt(hex.slice(-2), 16));
    }
  });

  it("VW steering angle LWI_01 decodes to a plausible physical value", () => {
    const { values, compiled } = decode("vw_mqb.dbc", 0x86, cases.find((c) => c.message === "LWI_01")?.frames[0] as string);
    const angle = values.get("LWI_Lenkradwinkel") as number;
    const signal = compiled.signals.find((s) => s.name === "LWI_Lenkradwinkel") as DbcSignal;
    expect(angle).toBeGreaterThanOrEqual(signal.minimum);
    expect(angle).toBeLessThanOrEqual(signal.maximum);
    expect(signal.unit).toBe("Unit_DegreOfArc");
  });
});
