/**
 * Our DBC parser + compiled decoder against every decode case cantools asserts in its own test
 * suite (test/fixtures/can/cantools_vectors.json, MIT): Intel/Motorola, signed, float/double,
 * 64-bit, CAN FD, multiplexing including SG_MUL_VAL_, value tables, raw values, truncated frames.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCandumpLine } from "../../../adapters/can/candump.js";
import { type CompiledMessage, compileMessage } from "../../../adapters/can/dbc/compile.js";
import { CompiledDatabase } from "../../../adapters/can/dbc/database.js";
import type { DbcDatabase } from "../../../adapters/can/dbc/model.js";
import { parseDbc } from "../../../adapters/can/dbc/parser.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/can");
const vectors = JSON.parse(readFileSync(join(FIXTURES, "cantools_vectors.json"), "utf8"));

function loadDbc(name: string): DbcDatabase {
  const { db, problems } = parseDbc(readFileSync(join(FIXTURES, "cantools_dbc", name), "latin1"), name);
  expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  return db;
}

/** Decodes into a name → value dict the way cantools reports it: labels instead of numbers when asked. */
function decodeToDict(compiled: CompiledMessage, data: Uint8Array, choices: boolean, prune?: (label: string) => string) {
  const size = compiled.signals.length;
  const idx = new Int32Array(size);
  const val = new Float64Array(size);
  const raw = new Float64Array(size);
  const n = compiled.decode(data, data.length, idx, val, raw);
  const out: Record<string, number | string> = {};
  for (let k = 0; k < n; k++) {
    const signal = compiled.signals[idx[k]];
    const label = choices ? signal.choices?.get(raw[k]) : undefined;
    out[signal.name] = label === undefined ? val[k] : prune ? prune(label) : label;
  }
  return out;
}

describe("cantools decode_cases", () => {
  const cases = vectors.decode_cases as {
    dbc: string;
    frame_id: number;
    extended: boolean;
    data_hex: string;
    decode_choices: boolean;
    scaling: boolean;
    expected: Record<string, number | string>;
    message: string;
    note?: string;
  }[];

  it("has the 35 cases the collection documents", () => {
    expect(cases).toHaveLength(35);
  });

  for (const [i, c] of cases.entries()) {
    it(`#${i} ${c.dbc} ${c.message} ${c.note ?? ""}`, () => {
      const db = loadDbc(c.dbc);
      const message = db.messages.find((m) => m.id === c.frame_id && m.extended === c.extended);
      expect(message?.name).toBe(c.message);
      const compiled = compileMessage(message as NonNullable<typeof message>, { scaling: c.scaling });
      const data = Buffer.from(c.data_hex, "hex");
      // JSON numbers over 2^53 parse to the nearest double, which is what we must produce too.
      expect(decodeToDict(compiled, data, c.decode_choices)).toEqual(c.expected);
    });
  }
});

/** cantools --prune strips the longest common prefix of a signal's labels. */
function pruneFor(labels: string[]): (label: string) => string {
  let prefix = labels[0] ?? "";
  for (const label of labels) while (!label.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = prefix.lastIndexOf("_") + 1;
  return (label) => label.slice(cut);
}

describe("cantools cli_decode_cases (candump text → decoded signals)", () => {
  const cliCases = vectors.cli_decode_cases as {
    test: string;
    argv: string[];
    records: { input_line: string; message?: string; expected?: Record<string, unknown>; error?: string; ignored?: boolean }[];
  }[];

  for (const c of cliCases) {
    it(`${c.test} (${c.records.length} records)`, () => {
      const dbcName = (c.argv.find((a) => a.endsWith(".dbc")) as string).split("/").pop() as string;
      const db = new CompiledDatabase(loadDbc(dbcName).messages);
      const prune = c.argv.includes("--prune");
      let checked = 0;
      for (const record of c.records) {
        const parsed = parseCandumpLine(record.input_line);
        if (record.ignored) {
          // cantools skips "vcan0  ERROR" lines; we read them as error frames, which are never decoded.
          expect(parsed && "frame" in parsed && parsed.frame.error).toBe(true);
          continue;
        }
        if (!parsed || !("frame" in parsed)) throw new Error(`line did not parse: ${record.input_line}`);
        const compiled = db.lookup(parsed.frame.id, parsed.frame.extended);
        if (record.error?.startsWith("Unknown frame id")) {
          expect(compiled).toBeUndefined();
          checked++;
          continue;
        }
        expect(compiled?.message.name).toBeDefined();
        if (record.error?.startsWith("Wrong data size")) {
          // The cantools CLI refuses frames longer than the DBC length; like cantools' decode API
          // (decode_cases above: DRIVER_HEARTBEAT from 8 bytes), we decode the signals that are there.
          expect(parsed.frame.data.length).toBeGreaterThan(compiled?.message.length ?? 0);
          checked++;
          continue;
        }
        const labels = (signal: string) => [...(compiled?.signals.find((s) => s.name === signal)?.choices?.values() ?? [])];
        const dict = decodeToDict(compiled as CompiledMessage, parsed.frame.data, true);
        if (prune)
          for (const [name, value] of Object.entries(dict)) if (typeof value === "string") dict[name] = pruneFor(labels(name))(value);
        expect(compiled?.message.name).toBe(record.message);
        expect(dict).toEqual(record.expected);
        checked++;
      }
      expect(checked).toBe(c.records.filter((r) => !r.ignored).length);
    });
  }
});

describe("vehicle.dbc structure (cantools test_vehicle)", () => {
  it("has 217 messages, extended ids, and 15 signals with value tables", () => {
    const db = loadDbc("vehicle.dbc");
    expect(db.messages).toHaveLength(217);
    expect(db.messages[0]).toMatchObject({ name: "RT_SB_INS_Vel_Body_Axes", id: 0x9588322, extended: true, length: 8 });
    expect(db.messages[216]).toMatchObject({ name: "RT_SB_Gyro_Rates", id: 155872546, extended: true });
    const withChoices = db.messages.flatMap((m) => m.signals).filter((s) => s.choices && s.choices.size > 0);
    expect(withChoices).toHaveLength(15);
  });

  it("compiles every message of it", () => {
    const db = new CompiledDatabase(loadDbc("vehicle.dbc").messages);
    expect(db.messages).toHaveLength(217);
    expect(db.lookup(0x9588322, true)?.message.name).toBe("RT_SB_INS_Vel_Body_Axes");
  });
});

describe("comments and units", () => {
  it("keeps CM_ comments and units", () => {
    const db = loadDbc("foobar.dbc");
    const foo = db.messages.find((m) => m.name === "Foo");
    expect(foo?.comment).toBe("Foo.");
    expect(foo?.signals.find((s) => s.name === "Bar")).toMatchObject({ comment: "Bar.", unit: "m", valueType: "float32" });
    expect(foo?.signals.find((s) => s.name === "Foo")?.unit).toBe("degK");
    expect(db.messages.find((m) => m.name === "CanFd")?.length).toBe(64);
  });
});
