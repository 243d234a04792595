/** Parser structure beyond the cantools files: unindented NS_, multi-line comments, nested extended multiplexing. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileMessage } from "../../../adapters/can/dbc/compile.js";
import { loadDbcFiles } from "../../../adapters/can/dbc/load.js";
import { parseDbc } from "../../../adapters/can/dbc/parser.js";

const TEXT = `VERSION "1.0"

NS_ :
CM_
BA_DEF_
VAL_
SG_MUL_VAL_

BS_: 500 : 12, 34

BU_: ECU GW
VAL_TABLE_ OnOff 1 "on" 0 "off" ;

BO_ 300 Ext: 8 ECU
 SG_ Top M : 0|8@1+ (1,0) [0|0] "" ECU
 SG_ Sub m1M : 8|8@1+ (1,0) [0|0] "" ECU,GW
 SG_ Leaf m2 : 16|8@1+ (1,0) [0|0] "" ECU
 SG_ Other m3 : 16|8@1- (2,1) [0|0] "" ECU

BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX
 SG_ Orphan : 0|8@1+ (1,0) [0|0] "" Vector__XXX

CM_ BO_ 300 "A message
over two lines; with a semicolon and \\"quotes\\"";
CM_ "a comment about the whole network";
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535; // trailing comment
BA_ "GenMsgCycleTime" BO_ 300 100;
SG_MUL_VAL_ 300 Sub Top 1-1, 5-7;
SG_MUL_VAL_ 300 Leaf Sub 2-2;
SG_MUL_VAL_ 300 Other Sub 3-4;
`;

describe("DBC parser structure", () => {
  const { db, problems } = parseDbc(TEXT, "ext.dbc");

  it("parses without problems, skipping attributes and the independent-signals pseudo message", () => {
    expect(problems).toEqual([]);
    expect(db.version).toBe("1.0");
    expect(db.nodes).toEqual(["ECU", "GW"]);
    expect(db.messages.map((m) => m.name)).toEqual(["Ext"]);
    expect(db.messages[0].comment).toBe('A message\nover two lines; with a semicolon and "quotes"');
    expect(db.messages[0].signals.find((s) => s.name === "Sub")?.receivers).toEqual(["ECU", "GW"]);
  });

  it("decodes nested extended multiplexing (a switch selected by a switch, value ranges)", () => {
    const compiled = compileMessage(db.messages[0]);
    const decode = (bytes: number[]) => {
      const data = new Uint8Array([...bytes, 0, 0, 0, 0, 0]);
      const idx = new Int32Array(4);
      const val = new Float64Array(4);
      const raw = new Float64Array(4);
      const n = compiled.decode(data, 8, idx, val, raw);
      return Object.fromEntries(Array.from({ length: n }, (_, k) => [compiled.signals[idx[k]].name, val[k]]));
    };
    expect(decode([1, 2, 0x55])).toEqual({ Top: 1, Sub: 2, Leaf: 0x55 });
    expect(decode([6, 3, 0xff])).toEqual({ Top: 6, Sub: 3, Other: -1 });
    expect(decode([6, 4, 0x02])).toEqual({ Top: 6, Sub: 4, Other: 5 });
    expect(decode([2, 2, 0x55])).toEqual({ Top: 2 });
    expect(decode([1, 9, 0x55])).toEqual({ Top: 1, Sub: 9 });
  });
});

describe("loadDbcFiles", () => {
  it("merges files, rejects an id defined twice across files, reads Windows-1252", async () => {
    const dir = await mkdtemp(join(tmpdir(), "can-load-"));
    try {
      await writeFile(join(dir, "a.dbc"), 'BO_ 100 A: 8 X\n SG_ T : 0|8@1+ (1,0) [0|0] "\xb0C" X\n', "latin1");
      await writeFile(join(dir, "b.dbc"), "BO_ 200 B: 8 X\n\nBO_ 100 Again: 8 X\n");
      const { messages, problems } = await loadDbcFiles(["a.dbc", "b.dbc"], dir);
      expect(messages.map((m) => m.name)).toEqual(["A", "B"]);
      expect(messages[0].signals[0].unit).toBe("°C");
      expect(problems).toEqual([
        {
          file: join(dir, "b.dbc"),
          line: 3,
          col: 1,
          message: `Again uses id 100 already defined as A in ${join(dir, "a.dbc")}:1`,
          severity: "error",
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
