/**
 * Fuzzing with a seeded generator (reproducible): random bytes, mutated real frames, and random
 * payloads for every message of the dialect straight into the decoder. Nothing may throw, and
 * every point must be one the gateway accepts.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MessageDecoder } from "../../../adapters/mavlink/decode.js";
import { dialect } from "../../../adapters/mavlink/dialect.js";
import { FrameParser, type FrameProblem, signingKey } from "../../../adapters/mavlink/framing.js";
import mavlink from "../../../adapters/mavlink/index.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { seededRandom as random } from "../../helpers/seeded-random.js";
import { invalidPoints, readTlogRecords, tlogBytes } from "./helpers.js";

const messages = dialect("ardupilotmega");
const records = readTlogRecords();

function pipeline(options: { tlog?: boolean; signing?: boolean } = {}) {
  const points: PointInput[] = [];
  const problems = new Map<string, number>();
  const count = (name: string, n = 1) => problems.set(name, (problems.get(name) ?? 0) + n);
  const decoder = new MessageDecoder(messages, { angles: "degrees", include: [], exclude: [], rates: {}, count });
  let frames = 0;
  const parser = new FrameParser({
    tlog: options.tlog,
    crcExtra: (id) => messages.crcExtra(id),
    signing: options.signing ? { policy: "accept_unsigned", key: signingKey("fuzzing passphrase") } : undefined,
    onFrame: (frame) => {
      frames++;
      decoder.decode(frame, frames, frame.timestampUs === undefined ? undefined : frame.timestampUs / 1000, points);
    },
    onProblem: (problem: FrameProblem, n) => count(problem, n),
  });
  return { parser, points, problems, frames: () => frames };
}

function feed(parser: FrameParser, bytes: Uint8Array, next: () => number) {
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(next() * 700);
    parser.push(bytes.subarray(at, at + size));
    at += size;
  }
  parser.end();
}

describe("MAVLink fuzz", () => {
  it("random bytes: no crash, no invalid point, everything accounted as skipped", () => {
    const next = random(1);
    for (const tlog of [false, true]) {
      const bytes = new Uint8Array(2_000_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() < 0.02 ? (next() < 0.5 ? 0xfd : 0xfe) : Math.floor(next() * 256);
      const { parser, points, problems } = pipeline({ tlog, signing: true });
      feed(parser, bytes, next);
      expect(invalidPoints(points)).toEqual([]);
      expect(problems.get("bytes_discarded")).toBeGreaterThan(1_000_000);
    }
  });

  it("mutated real frames: corrupted ones are skipped, the intact ones still come through", () => {
    const next = random(2);
    const chosen = records.slice(0, 8000);
    let intact = 0;
    const mutated = chosen.map(({ frame }) => {
      const copy = Buffer.from(frame);
      const roll = next();
      if (roll < 0.7) {
        intact++;
        return copy;
      }
      if (roll < 0.8)
        copy[Math.floor(next() * copy.length)] ^= 1 << Math.floor(next() * 8); // bit flip
      else if (roll < 0.9)
        return copy.subarray(0, Math.floor(next() * copy.length)); // truncated
      else if (roll < 0.95)
        copy[1] = Math.floor(next() * 256); // wrong length
      else return Buffer.concat([copy.subarray(0, 5), Buffer.from([Math.floor(next() * 256)]), copy.subarray(5)]); // inserted byte
      return copy;
    });
    const { parser, points, problems, frames } = pipeline();
    feed(parser, Buffer.concat(mutated), next);
    expect(invalidPoints(points)).toEqual([]);
    // Each corruption may take the next frame with it while resynchronising, never more.
    expect(frames()).toBeGreaterThan(intact * 0.8);
    expect(frames()).toBeLessThanOrEqual(chosen.length);
    expect(problems.get("crc_errors")).toBeGreaterThan(0);
  });

  it("random payloads of every length for every message of the dialect decode to valid points", () => {
    const next = random(3);
    const points: PointInput[] = [];
    const decoder = new MessageDecoder(messages, { angles: "radians", include: [], exclude: [], rates: {}, count: () => {} });
    for (const id of messages.ids()) {
      for (let round = 0; round < 20; round++) {
        const payload = new Uint8Array(Math.floor(next() * 256));
        for (let i = 0; i < payload.length; i++) payload[i] = round % 4 === 0 ? 0xff : Math.floor(next() * 256);
        decoder.decode(
          {
            version: round % 2 ? 2 : 1,
            seq: 0,
            sysid: Math.floor(next() * 256),
            compid: Math.floor(next() * 256),
            msgid: id,
            payload,
            signed: false,
            bytes: payload.length + 12,
          },
          round,
          undefined,
          points,
        );
      }
    }
    expect(points.length).toBeGreaterThan(10_000);
    expect(invalidPoints(points)).toEqual([]);
  });

  it("a corrupted capture replayed through the adapter: valid points, problems counted", async () => {
    const next = random(4);
    const corrupted = Buffer.from(tlogBytes(records.slice(0, 6000)));
    for (let i = 0; i < 400; i++) corrupted[Math.floor(next() * corrupted.length)] = Math.floor(next() * 256);
    const path = join(mkdtempSync(join(tmpdir(), "mavlink-fuzz-")), "corrupted.tlog");
    writeFileSync(path, corrupted);
    const harness = new AdapterHarness();
    const adapter = harness.create(mavlink, { connection: `tlog://${path}?speed=max`, health_interval: 0 });
    await adapter.start();
    await harness.waitForFinished();
    await adapter.stop();
    expect(harness.points.length).toBeGreaterThan(10_000);
    expect(invalidPoints(harness.points)).toEqual([]);
    expect((harness.counters.get("crc_errors") ?? 0) + (harness.counters.get("bytes_discarded") ?? 0)).toBeGreaterThan(0);
  });
});
