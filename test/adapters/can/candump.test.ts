/** The candump line parser against cantools' logreader vectors, plus forms and garbage cantools does not cover. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCandumpLine } from "../../../adapters/can/candump.js";
import { toHex } from "../../../adapters/can/frame.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/can");
const vectors = JSON.parse(readFileSync(join(FIXTURES, "candump_line_parse_vectors.json"), "utf8")) as {
  cases: { line: string; test: string; expected: null | Record<string, unknown> }[];
};

describe("cantools candump line vectors", () => {
  it("has all 32 cases", () => expect(vectors.cases).toHaveLength(32));

  for (const [i, c] of vectors.cases.entries()) {
    it(`#${i} ${JSON.stringify(c.line).slice(0, 70)}`, () => {
      const parsed = parseCandumpLine(c.line);
      if (c.expected === null) {
        // cantools yields no frame: blank lines, and error frames (which we keep, flagged, for bus health).
        if (parsed === null) return;
        expect("frame" in parsed && parsed.frame.error).toBe(true);
        return;
      }
      if (!parsed || !("frame" in parsed)) throw new Error(`not parsed: ${JSON.stringify(parsed)}`);
      const { frame } = parsed;
      const e = c.expected;
      expect(frame.channel).toBe(e.channel);
      expect(frame.id).toBe(e.frame_id);
      expect(toHex(frame.data).toLowerCase()).toBe(e.data);
      if ("is_extended_frame" in e) expect(frame.extended).toBe(e.is_extended_frame);
      if ("is_remote_frame" in e) expect(frame.rtr).toBe(e.is_remote_frame);
      expect(frame.error).toBe(false);
      if (e.timestamp_format === "MISSING") expect(parsed.time).toBeUndefined();
      if (e.timestamp_format === "ABSOLUTE") expect(parsed.absolute).toBe(true);
      if (e.timestamp_format === "RELATIVE") {
        expect(parsed.absolute).toBe(false);
        const seconds = Number(e.relative_timestamp_seconds ?? 0) + Number(e.relative_timestamp_microseconds ?? 0) / 1e6;
        expect(parsed.time).toBeCloseTo(seconds, 6);
      }
    });
  }
});

describe("candump forms beyond the vectors", () => {
  it("reads CAN FD ## frames with their flags digit", () => {
    const parsed = parseCandumpLine("(1613656104.501098) can3 14C##1" + "11".repeat(12));
    if (!parsed || !("frame" in parsed)) throw new Error("not parsed");
    expect(parsed.frame).toMatchObject({ id: 0x14c, fd: true, extended: false });
    expect(parsed.frame.data).toHaveLength(12);
    expect(parsed.time).toBeCloseTo(1613656104.501098, 6);
  });

  it("reads log-format error frames (CAN_ERR_FLAG in the id)", () => {
    const parsed = parseCandumpLine("(1.5) can0 20000080#0000000000000000");
    expect(parsed && "frame" in parsed && parsed.frame.error).toBe(true);
  });

  it("reads remote frames with a length and classic frames with a raw DLC suffix", () => {
    const remote = parseCandumpLine("(1.0) can0 123#R5");
    expect(remote && "frame" in remote && remote.frame.rtr).toBe(true);
    const dlc = parseCandumpLine("(1.0) can0 123#1122334455667788_E");
    expect(dlc && "frame" in dlc && toHex(dlc.frame.data)).toBe("1122334455667788");
  });

  it("reads candump -x output (RX/TX and flags before the id)", () => {
    const parsed = parseCandumpLine(" (0.100000)  can0  RX - -  123   [2]  AB CD");
    expect(parsed && "frame" in parsed && toHex(parsed.frame.data)).toBe("ABCD");
  });

  it("reads absolute -tA dates as local time", () => {
    const parsed = parseCandumpLine("(2020-12-19 12:04:45.485261)  vcan0  0C8   [1]  F0");
    if (!parsed || !("frame" in parsed)) throw new Error("not parsed");
    expect((parsed.time as number) * 1000).toBeCloseTo(new Date(2020, 11, 19, 12, 4, 45, 485.261).getTime(), 0);
  });

  it("skips blank lines and # comments", () => {
    expect(parseCandumpLine("   ")).toBeNull();
    expect(parseCandumpLine("# recorded on the test bench")).toBeNull();
  });
});

describe("malformed lines give a reason, never a throw", () => {
  const malformed: [string, RegExp][] = [
    ["(12.5 can0 123#00", /closing/],
    ["(abc) can0 123#00", /bad timestamp/],
    ["(1.0) can0", /no frame/],
    ["(1.0) can0 12G#00", /bad CAN id/],
    ["(1.0) can0 800#00", /over 0x7FF/],
    ["(1.0) can0 123#0", /bad data/],
    ["(1.0) can0 123#ZZ", /bad data/],
    ["(1.0) can0 123##", /flags digit/],
    ["(1.0) can0 123#" + "00".repeat(65), /at most 64/],
    ["(1.0) can0 FFFFFFFFF#00", /bad CAN id/],
    ["(1.0) can0 5FFFFFFF#00", /29 bits/],
    ["  can0  123   [4]  01 02", /announces 4 bytes/],
    ["  can0  123   [x]  01", /\[length\]/],
    ["  can0  123   [99]  01", /over 64/],
    ["  can0  123   [2]  01 XY", /announces 2 bytes/],
    ["(1.0) can0 123#Rx", /remote/],
  ];
  for (const [line, reason] of malformed) {
    it(JSON.stringify(line).slice(0, 60), () => {
      const parsed = parseCandumpLine(line);
      expect(parsed && "error" in parsed ? parsed.error : `parsed as ${JSON.stringify(parsed)}`).toMatch(reason);
    });
  }

  it("survives random bytes", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < 2000; i++) {
      const line = Array.from({ length: Math.floor(random() * 60) }, () => String.fromCharCode(Math.floor(random() * 128))).join("");
      expect(() => parseCandumpLine(line)).not.toThrow();
    }
  });
});
