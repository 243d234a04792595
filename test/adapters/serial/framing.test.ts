import { afterEach, describe, expect, it, vi } from "vitest";
import { createFramer, type FramingSpec } from "../../../adapters/serial/framing.js";

function framed(spec: FramingSpec, chunks: (string | Buffer)[], maxFrame = 4096) {
  const frames: string[] = [];
  const counts = { overlong: 0, skipped: 0 };
  const framer = createFramer(spec, maxFrame, {
    frame: (frame) => frames.push(frame.toString("latin1")),
    overlong: () => counts.overlong++,
    skipped: (bytes) => {
      counts.skipped += bytes;
    },
  });
  for (const chunk of chunks) framer.push(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
  return { frames, counts, framer };
}

describe("framing", () => {
  afterEach(() => vi.useRealTimers());

  it("splits on a delimiter, also one that straddles two reads", () => {
    const { frames } = framed({ delimiter: "\r\n" }, ["a,1\r", "\nb,2\r\nc", ",3\r\n"]);
    expect(frames).toEqual(["a,1", "b,2", "c,3"]);
  });

  it("skips a frame over max_line up to the next delimiter, counting it once, and holds no more than max_line", () => {
    const { frames, counts } = framed({ delimiter: "\n" }, ["ok\n", "x".repeat(30), "x".repeat(30), "y\nnext\n", "z".repeat(50), "\n"], 16);
    expect(frames).toEqual(["ok", "next"]);
    expect(counts.overlong).toBe(2);
  });

  it("ends a replay with the last frame even without a delimiter", () => {
    const { frames, framer } = framed({ delimiter: "\n" }, ["a\nb"]);
    framer.end();
    expect(frames).toEqual(["a", "b"]);
  });

  it("takes regex matches as frames and counts the bytes between them", () => {
    const { frames, counts, framer } = framed({ regex: "<[^>]*>" }, ["junk<a=1", "><b=2>xx<c"]);
    expect(frames).toEqual(["<a=1>", "<b=2>"]);
    // "xx<c" may still become part of a frame: counted only at the end of the input.
    expect(counts.skipped).toBe(4);
    framer.end();
    expect(counts.skipped).toBe(8);
  });

  it("cuts fixed-length frames and length-prefixed ones, skipping a prefix announcing more than max_line", () => {
    expect(framed({ length: 3 }, ["abcde", "fgh"]).frames).toEqual(["abc", "def"]);
    const prefixed = framed(
      { length_prefix: "uint8" },
      [Buffer.from([2, 0x41, 0x42, 20]), Buffer.alloc(20, 0x5a), Buffer.from([1, 0x43])],
      8,
    );
    expect(prefixed.frames).toEqual(["AB", "C"]);
    expect(prefixed.counts.overlong).toBe(1);
    expect(framed({ length_prefix: "uint16le" }, [Buffer.from([3, 0, 0x61, 0x62]), Buffer.from([0x63])]).frames).toEqual(["abc"]);
  });

  it("ends a frame after a quiet gap (idle)", () => {
    vi.useFakeTimers();
    const { frames, framer } = framed({ idle: 20 }, ["ab", "cd"]);
    vi.advanceTimersByTime(10);
    framer.push(Buffer.from("ef"));
    expect(frames).toEqual([]);
    vi.advanceTimersByTime(25);
    expect(frames).toEqual(["abcdef"]);
  });
});
