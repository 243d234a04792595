/** Framing against the published frame vectors (pymavlink, rust-mavlink) and the real ArduSub capture. */
import { readFileSync } from "node:fs";
import { MavLinkProtocolV2, minimal } from "node-mavlink";
import { describe, expect, it } from "vitest";
import { dialect } from "../../../adapters/mavlink/dialect.js";
import {
  crc16,
  FrameParser,
  type FrameProblem,
  type RawFrame,
  type SigningPolicy,
  signFrame,
  signingKey,
} from "../../../adapters/mavlink/framing.js";
import { ARDUSUB_TLOG, FIXTURES } from "./helpers.js";

interface Vector {
  frame_hex: string;
  expect_valid: boolean;
  message?: string;
  expected_header?: { version: number; seq: number; sysid: number; compid: number; msgid: number };
  signing?: { secret_key_hex: string };
}
const vectors = JSON.parse(readFileSync(`${FIXTURES}mavlink_frame_vectors.json`, "utf8"));
const frames: Vector[] = vectors.frames;
const messages = dialect("common");

function parse(
  bytes: Uint8Array,
  options: { tlog?: boolean; policy?: SigningPolicy; key?: Uint8Array; final?: boolean; chunk?: number } = {},
) {
  const got: RawFrame[] = [];
  const problems: Partial<Record<FrameProblem, number>> = {};
  const parser = new FrameParser({
    tlog: options.tlog,
    crcExtra: (id) => messages.crcExtra(id),
    signing: { policy: options.policy ?? "ignore", key: options.key },
    onFrame: (frame) => got.push({ ...frame, payload: Uint8Array.from(frame.payload) }),
    onProblem: (problem, n) => {
      problems[problem] = (problems[problem] ?? 0) + n;
    },
  });
  const chunk = options.chunk ?? bytes.length;
  for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.subarray(at, at + chunk), options.final && at + chunk >= bytes.length);
  if (!options.final) parser.end();
  return { got, problems };
}

describe("MAVLink framing", () => {
  it("computes the CRC-16/MCRF4XX vector", () => {
    const { input_hex, crc_x25_mcrf4xx, crc_after_crc_extra_50 } = vectors.crc_vectors[0];
    const input = Buffer.from(input_hex, "hex");
    expect(crc16(input, 0, input.length, 50)).toBe(crc_after_crc_extra_50);
    // Without the extra byte: run the same routine over all but the last byte, feeding that byte as the "extra".
    expect(crc16(input, 0, input.length - 1, input[input.length - 1])).toBe(crc_x25_mcrf4xx);
  });

  for (const vector of frames.filter((v) => v.expect_valid)) {
    it(`accepts ${vector.message} v${vector.expected_header?.version} seq ${vector.expected_header?.seq}${vector.signing ? " (signed)" : ""}`, () => {
      const { got, problems } = parse(Buffer.from(vector.frame_hex, "hex"), { final: true });
      expect(problems).toEqual({});
      expect(got).toHaveLength(1);
      const header = vector.expected_header!;
      expect({ version: got[0].version, seq: got[0].seq, sysid: got[0].sysid, compid: got[0].compid, msgid: got[0].msgid }).toEqual({
        version: header.version,
        seq: header.seq,
        sysid: header.sysid,
        compid: header.compid,
        msgid: header.msgid,
      });
    });
  }

  it("rejects the invalid vectors and counts what it skipped", () => {
    for (const vector of frames.filter((v) => !v.expect_valid)) {
      const { got, problems } = parse(Buffer.from(vector.frame_hex, "hex"), { final: true });
      expect(got).toHaveLength(0);
      expect(Object.values(problems).reduce((a, b) => a + (b ?? 0), 0)).toBeGreaterThan(0);
    }
  });

  it("finds every frame of a stream of all valid vectors cut into 7-byte chunks", () => {
    const valid = frames.filter((v) => v.expect_valid);
    const stream = Buffer.concat(valid.flatMap((v) => [Buffer.from("garbage"), Buffer.from(v.frame_hex, "hex")]));
    const { got, problems } = parse(stream, { chunk: 7 });
    expect(got.map((f) => f.msgid)).toEqual(valid.map((v) => v.expected_header!.msgid));
    expect(problems.bytes_discarded).toBe(7 * valid.length);
  });

  describe("signing", () => {
    const signed = frames.find((v) => v.signing)!;
    const bytes = Buffer.from(signed.frame_hex, "hex");
    const key = signingKey(signed.signing!.secret_key_hex);
    const unsigned = Buffer.from(frames.find((v) => v.expect_valid && v.expected_header?.version === 2 && !v.signing)!.frame_hex, "hex");

    it("verifies the signed vector with its key under require", () => {
      expect(parse(bytes, { policy: "require", key, final: true }).got).toHaveLength(1);
    });
    it("drops it with another key and counts a bad signature", () => {
      const { got, problems } = parse(bytes, { policy: "accept_unsigned", key: signingKey("another secret"), final: true });
      expect(got).toHaveLength(0);
      expect(problems.bad_signatures).toBe(1);
    });
    it("rejects unsigned frames under require, takes them under accept_unsigned", () => {
      const required = parse(unsigned, { policy: "require", key, final: true });
      expect(required.got).toHaveLength(0);
      expect(required.problems.unsigned_rejected).toBe(1);
      expect(parse(unsigned, { policy: "accept_unsigned", key, final: true }).got).toHaveLength(1);
    });
    it("signs frames that verify, and rejects a replayed one", () => {
      const heartbeat = new MavLinkProtocolV2(255, 190, MavLinkProtocolV2.IFLAG_SIGNED).serialize(new minimal.Heartbeat(), 1);
      const first = signFrame(heartbeat, key, 0, 1000);
      const second = signFrame(heartbeat, key, 0, 1001);
      const { got, problems } = parse(Buffer.concat([first, second, first]), { policy: "require", key, final: true });
      expect(got).toHaveLength(2);
      expect(problems).toEqual({ replayed_signatures: 1 });
    });

    it("rejects a signed frame whose signature was tampered with", () => {
      const tampered = Buffer.from(bytes);
      tampered[tampered.length - 1] ^= 0xff;
      expect(parse(tampered, { policy: "require", key, final: true }).problems.bad_signatures).toBe(1);
    });
  });

  it("counts a frame cut short at the end of a datagram as truncated", () => {
    const frame = Buffer.from(frames[0].frame_hex, "hex");
    const { got, problems } = parse(frame.subarray(0, frame.length - 5), { final: true });
    expect(got).toHaveLength(0);
    expect(problems.truncated_frames).toBe(1);
  });

  it("reads the whole ArduSub capture: 35,912 frames, its 4 CRC failures counted, timestamps from the tlog", () => {
    const ardupilot = dialect("ardupilotmega");
    const got: RawFrame[] = [];
    const problems: Record<string, number> = {};
    const parser = new FrameParser({
      tlog: true,
      crcExtra: (id) => ardupilot.crcExtra(id),
      onFrame: (frame) => got.push(frame),
      onProblem: (problem, n) => {
        problems[problem] = (problems[problem] ?? 0) + n;
      },
    });
    const bytes = readFileSync(ARDUSUB_TLOG);
    for (let at = 0; at < bytes.length; at += 4096) parser.push(bytes.subarray(at, at + 4096));
    parser.end();
    expect(got).toHaveLength(35912);
    expect(problems).toEqual({ crc_errors: 4 });
    expect(got.every((f) => f.version === 2)).toBe(true);
    // 2023-05-04, as SOURCES.md says.
    expect(new Date(got[0].timestampUs! / 1000).toISOString().slice(0, 10)).toBe("2023-05-04");
    const span = (got[got.length - 1].timestampUs! - got[0].timestampUs!) / 1e6;
    expect(span).toBeGreaterThan(250);
    expect(span).toBeLessThan(280);
  });
});
