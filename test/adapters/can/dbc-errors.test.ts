/** Malformed DBC files: each problem names file, line and column; nothing throws; check reports them. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatProblem } from "../../../adapters/can/dbc/model.js";
import { parseDbc } from "../../../adapters/can/dbc/parser.js";
import can from "../../../adapters/can/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const HEADER = 'VERSION ""\n\nNS_ :\n\tCM_\n\tVAL_\n\nBS_:\n\nBU_: ECU\n\n';

function problemsOf(body: string) {
  return parseDbc(HEADER + body, "bad.dbc").problems;
}

/** Line numbers in the messages below count the 10 header lines. */
const line = (n: number) => n + 10;

describe("malformed DBC text", () => {
  const cases: { name: string; body: string; line: number; col: number; message: RegExp }[] = [
    {
      name: "missing colon after the message name",
      body: 'BO_ 100 Engine 8 ECU\n SG_ Rpm : 0|16@1+ (1,0) [0|0] "" ECU\n',
      line: line(1),
      col: 16,
      message: /expected ':'/,
    },
    {
      name: "bad byte order",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@2+ (1,0) [0|0] "" ECU\n',
      line: line(2),
      col: 17,
      message: /byte order must be 0 \(Motorola\) or 1 \(Intel\)/,
    },
    {
      name: "missing sign",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1 (1,0) [0|0] "" ECU\n',
      line: line(2),
      col: 19,
      message: /expected \+ \(unsigned\) or - \(signed\)/,
    },
    {
      name: "signal outside the message",
      body: 'BO_ 100 Engine: 2 ECU\n SG_ Rpm : 8|16@1+ (1,0) [0|0] "" ECU\n',
      line: line(2),
      col: 2,
      message: /need 3 bytes but the message is 2/,
    },
    {
      name: "signal before any message",
      body: ' SG_ Rpm : 0|16@1+ (1,0) [0|0] "" ECU\n',
      line: line(1),
      col: 2,
      message: /SG_ outside a message/,
    },
    {
      name: "unterminated string",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1+ (1,0) [0|0] "rpm ECU\n',
      line: line(2),
      col: 32,
      message: /unterminated string/,
    },
    {
      name: "typo in a keyword",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1+ (1,0) [0|0] "" ECU\nVAL 100 Rpm 0 "off" ;\n',
      line: line(3),
      col: 1,
      message: /unexpected "VAL": expected a DBC keyword/,
    },
    {
      name: "duplicate message id",
      body: "BO_ 100 Engine: 8 ECU\nBO_ 100 Gearbox: 8 ECU\n",
      line: line(2),
      col: 5,
      message: /already used by Engine on line 11/,
    },
    {
      name: "float signal of the wrong length",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Temp : 0|16@1- (1,0) [0|0] "" ECU\nSIG_VALTYPE_ 100 Temp : 1;\n',
      line: line(3),
      col: 25,
      message: /Temp is 16 bits; SIG_VALTYPE_ 1 needs 32/,
    },
    {
      name: "multiplexed signal without a switch",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Page1 m1 : 8|8@1+ (1,0) [0|0] "" ECU\n',
      line: line(2),
      col: 2,
      message: /no multiplexer switch/,
    },
    {
      name: "bad multiplexer indicator",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Page1 x1 : 8|8@1+ (1,0) [0|0] "" ECU\n',
      line: line(2),
      col: 12,
      message: /bad multiplexer indicator "x1"/,
    },
    {
      name: "SG_MUL_VAL_ naming a signal that is no switch",
      body: 'BO_ 100 Engine: 8 ECU\n SG_ Mux M : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ A m1 : 8|8@1+ (1,0) [0|0] "" ECU\nSG_MUL_VAL_ 100 A Nope 1-1;\n',
      line: line(3),
      col: 2,
      message: /SG_MUL_VAL_ names Nope/,
    },
    {
      name: "statement without its ';'",
      body: 'BO_ 100 Engine: 8 ECU\nBA_DEF_ BO_ "GenMsgCycleTime" INT 0 1000\n',
      line: line(2),
      col: 1,
      message: /BA_DEF_ statement has no terminating ';'/,
    },
    {
      name: "non-CAN-FD length",
      body: "BO_ 100 Engine: 10 ECU\n",
      line: line(1),
      col: 1,
      message: /length 10 is not a CAN or CAN FD length/,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const errors = problemsOf(c.body).filter((p) => p.severity === "error");
      expect(errors.length, JSON.stringify(errors)).toBeGreaterThanOrEqual(1);
      expect(errors[0]).toMatchObject({ file: "bad.dbc", line: c.line, col: c.col });
      expect(errors[0].message).toMatch(c.message);
      expect(formatProblem(errors[0])).toMatch(new RegExp(`^bad\\.dbc:${c.line}:${c.col}: error: `));
    });
  }

  it("reports one problem per bad statement and keeps parsing the rest", () => {
    const { db, problems } = parseDbc(
      `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@3+ (1,0) [0|0] "" ECU\n SG_ Temp : 16|8@1- (1,-40) [0|0] "degC" ECU\nBO_ 200 Body 8 ECU\nBO_ 300 Brake: 8 ECU\n SG_ Pressure : 0|8@1+ (0.5,0) [0|0] "bar" ECU\n`,
      "bad.dbc",
    );
    expect(problems.map((p) => p.line)).toEqual([line(2), line(4)]);
    expect(db.messages.map((m) => `${m.name}:${m.signals.map((s) => s.name).join(",")}`)).toEqual(["Engine:Temp", "Brake:Pressure"]);
  });

  it("a skipped statement missing its ';' is an error and does not swallow the statements after it", () => {
    // Before: BA_ ran on to the VAL_'s ';', so the value table vanished without a word.
    const { db, problems } = parseDbc(
      `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Mode : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ Temp : 32|32@1- (1,0) [0|0] "" ECU\n` +
        `BA_ "GenMsgCycleTime" BO_ 100 100\nSIG_VALTYPE_ 100 Temp : 1;\nVAL_ 100 Mode 0 "off" 1 "on" ;\n`,
      "bad.dbc",
    );
    expect(problems.map(formatProblem)).toEqual([
      `bad.dbc:${line(4)}:1: error: BA_ statement has no terminating ';' before the SIG_VALTYPE_ on line ${line(5)}`,
    ]);
    const [mode, temp] = db.messages[0].signals;
    expect(temp.valueType).toBe("float32");
    expect([...(mode.choices ?? [])]).toEqual([
      [0, "off"],
      [1, "on"],
    ]);
  });

  it("a VAL_ missing its ';' is one problem; the message after it still parses", () => {
    const { db, problems } = parseDbc(
      `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Mode : 0|8@1+ (1,0) [0|0] "" ECU\nVAL_ 100 Mode 0 "off" 1 "on"\nBO_ 200 Body: 8 ECU\n SG_ Door : 0|1@1+ (1,0) [0|0] "" ECU\n`,
      "bad.dbc",
    );
    expect(problems.map(formatProblem)).toEqual([
      `bad.dbc:${line(3)}:1: error: VAL_ statement has no terminating ';' before the BO_ on line ${line(4)}`,
    ]);
    expect(db.messages.map((m) => `${m.name}:${m.signals.map((s) => s.name).join(",")}`)).toEqual(["Engine:Mode", "Body:Door"]);
  });

  it("a broken BO_ line is one problem, not one more per signal under it", () => {
    const problems = problemsOf(
      `BO_ 1x Engine: 8 ECU\n SG_ A : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ B : 8|8@1+ (1,0) [0|0] "" ECU\nBO_ 200 Body: 8 ECU\n SG_ C : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ D : 0|8@3+ (1,0) [0|0] "" ECU\n`,
    );
    expect(problems.map((p) => [p.line, p.col, p.message])).toEqual([
      [line(1), 5, 'expected the message id, got "1x"'],
      [line(6), 14, "byte order must be 0 (Motorola) or 1 (Intel), got 3"],
    ]);
  });

  it("a backslash in a comment is text, and a line break after it still counts as a line", () => {
    const { db, problems } = parseDbc(
      `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1+ (1,0) [0|0] "" ECU\nCM_ SG_ 100 Rpm "see C:\\can\\\nnext line, a \\"quote\\"";\n SG_ X : 0|8@1+ (1,0) [0|0] "" ECU\n`,
      "bad.dbc",
    );
    expect(db.messages[0].signals[0].comment).toBe('see C:\\can\\\nnext line, a "quote"');
    expect(problems.map((p) => [p.line, p.col])).toEqual([[line(5), 2]]);
  });

  it("warns (without failing) about comments and value tables for unknown signals", () => {
    const problems = problemsOf('BO_ 100 Engine: 8 ECU\nCM_ SG_ 100 Ghost "gone";\nVAL_ 101 Rpm 0 "off" ;\n');
    expect(problems.map((p) => [p.severity, p.line, p.message])).toEqual([
      ["warning", line(2), "message Engine has no signal Ghost"],
      ["warning", line(3), "no message with id 101 (BO_ 101 is not defined above)"],
    ]);
  });

  it("never throws on random garbage or truncated real files", async () => {
    const { readFile } = await import("node:fs/promises");
    const real = await readFile(join(import.meta.dirname, "../../fixtures/can/opendbc/fca_giorgio.dbc"), "latin1");
    for (let cut = 0; cut < real.length; cut += 97) expect(() => parseDbc(real.slice(0, cut), "cut.dbc")).not.toThrow();
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = 'BO_SG_ :|@+-()[],;"\n0123456789abcxyzM m';
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: 200 }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      expect(() => parseDbc(text, "noise.dbc")).not.toThrow();
    }
  });
});

describe("checkFiles and start with a broken DBC", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "can-dbc-"));
    await writeFile(join(dir, "broken.dbc"), `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1+ (1,0 [0|0] "" ECU\n`);
    await writeFile(join(dir, "ok.dbc"), `${HEADER}BO_ 100 Engine: 8 ECU\n SG_ Rpm : 0|16@1+ (1,0) [0|0] "" ECU\n`);
    await writeFile(join(dir, "replay.log"), "(0.0) can0 064#1027\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("checkFiles returns the problem with file, line and column", async () => {
    const options = can.options.parse({ interface: "candump", file: "replay.log", dbc: "broken.dbc" });
    const problems = await can.checkFiles?.(options, dir);
    expect(problems).toEqual([
      { file: join(dir, "broken.dbc"), line: line(2), col: 25, message: "expected ')', got \"[\"", option: ["dbc"] },
    ]);
    expect(await can.checkFiles?.(can.options.parse({ interface: "candump", file: "replay.log", dbc: "ok.dbc" }), dir)).toEqual([]);
  });

  it("checkFiles reports a missing file instead of throwing, naming the dbc: entry that names it", async () => {
    const problems = await can.checkFiles?.(can.options.parse({ interface: "candump", file: "replay.log", dbc: "nope.dbc" }), dir);
    expect(problems).toEqual([
      {
        file: join(dir, "nope.dbc"),
        line: 0,
        col: 0,
        message: `cannot read DBC ${join(dir, "nope.dbc")}: the file does not exist`,
        option: ["dbc"],
      },
    ]);
    const listed = await can.checkFiles?.(
      can.options.parse({ interface: "candump", file: "replay.log", dbc: ["ok.dbc", "nope.dbc"] }),
      dir,
    );
    expect(listed?.map((p) => p.option)).toEqual([["dbc", 1]]);
  });

  it("start() refuses a DBC with errors, naming file:line:col", async () => {
    const harness = new AdapterHarness({ configDir: dir });
    const adapter = harness.create(can, { interface: "candump", file: "replay.log", dbc: "broken.dbc" });
    await expect(adapter.start()).rejects.toThrow(/broken\.dbc:12:25: error: expected '\)'/);
    await adapter.stop();
  });
});
