/**
 * Bytes from the port → frames. Five ways to find a frame's end: a delimiter, a regex, a fixed
 * length, a length prefix, or a quiet gap (`idle`). A partial frame is never held beyond
 * `maxFrame` bytes: a frame that grows past it is counted (`overlong_frames`) and skipped up to
 * the next frame boundary, so a device spewing garbage without delimiters cannot grow the heap.
 */

export type FramingSpec =
  | { delimiter: string }
  | { regex: string }
  | { length: number }
  | { length_prefix: "uint8" | "uint16be" | "uint16le" }
  | { idle: number };

export interface FrameSink {
  frame(frame: Buffer): void;
  /** A frame longer than maxFrame was dropped. */
  overlong(): void;
  /** Bytes between frames that matched nothing (regex framing). */
  skipped(bytes: number): void;
}

export interface Framer {
  push(chunk: Buffer): void;
  /** End of input (a replay's end, a closed port): whatever is held becomes a frame if it can. */
  end(): void;
  /** Forgets a partial frame (the port was reopened: its first bytes do not continue the old ones). */
  reset(): void;
}

export function createFramer(spec: FramingSpec, maxFrame: number, sink: FrameSink): Framer {
  if ("delimiter" in spec) return new DelimiterFramer(Buffer.from(spec.delimiter, "latin1"), maxFrame, sink);
  if ("regex" in spec) return new RegexFramer(new RegExp(spec.regex, "g"), maxFrame, sink);
  if ("length" in spec) return new LengthFramer(() => spec.length, 0, maxFrame, sink);
  if ("length_prefix" in spec) {
    const read = PREFIX_READERS[spec.length_prefix];
    return new LengthFramer(read.read, read.size, maxFrame, sink);
  }
  return new IdleFramer(spec.idle, maxFrame, sink);
}

class DelimiterFramer implements Framer {
  private held: Buffer | undefined;
  /** Inside an overlong frame: drop bytes up to the next delimiter. */
  private discarding = false;

  constructor(
    private readonly delimiter: Buffer,
    private readonly maxFrame: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    // A delimiter may straddle two chunks: search the held tail and the chunk together. The held
    // part is at most maxFrame bytes, so the copy is bounded.
    const data = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = undefined;
    const step = this.delimiter.length;
    let start = 0;
    for (;;) {
      const at = data.indexOf(this.delimiter, start);
      if (at === -1) break;
      if (this.discarding) this.discarding = false;
      else if (at - start > this.maxFrame) this.sink.overlong();
      else this.sink.frame(data.subarray(start, at));
      start = at + step;
    }
    const rest = data.length - start;
    if (rest === 0 || this.discarding) {
      // Keep a possible first part of the delimiter, so the next chunk can complete it.
      if (this.discarding && step > 1) this.held = Buffer.from(data.subarray(Math.max(start, data.length - step + 1)));
      return;
    }
    if (rest > this.maxFrame) {
      this.sink.overlong();
      this.discarding = true;
      if (step > 1) this.held = Buffer.from(data.subarray(data.length - step + 1));
      return;
    }
    // A copy: the chunk's memory belongs to the port's pool.
    this.held = Buffer.from(data.subarray(start));
  }

  end(): void {
    const held = this.held;
    this.held = undefined;
    if (held && held.length > 0 && !this.discarding) this.sink.frame(held);
    this.discarding = false;
  }

  reset(): void {
    this.held = undefined;
    this.discarding = false;
  }
}

/** Frames are the regex's matches; what lies between them is skipped (and counted). */
class RegexFramer implements Framer {
  private held = "";

  constructor(
    private readonly pattern: RegExp,
    private readonly maxFrame: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    const text = this.held + chunk.toString("latin1");
    this.pattern.lastIndex = 0;
    let consumed = 0;
    for (let match = this.pattern.exec(text); match !== null; match = this.pattern.exec(text)) {
      if (match[0].length === 0) {
        this.pattern.lastIndex++;
        continue;
      }
      if (match.index > consumed) this.sink.skipped(match.index - consumed);
      if (match[0].length > this.maxFrame) this.sink.overlong();
      else this.sink.frame(Buffer.from(match[0], "latin1"));
      consumed = match.index + match[0].length;
    }
    this.held = text.slice(consumed);
    if (this.held.length > this.maxFrame) {
      this.sink.overlong();
      this.held = "";
    }
  }

  end(): void {
    if (this.held.length > 0) this.sink.skipped(this.held.length);
    this.held = "";
  }

  reset(): void {
    this.held = "";
  }
}

const PREFIX_READERS: Record<"uint8" | "uint16be" | "uint16le", { size: number; read: (b: Buffer, at: number) => number }> = {
  uint8: { size: 1, read: (b, at) => b[at] },
  uint16be: { size: 2, read: (b, at) => b.readUInt16BE(at) },
  uint16le: { size: 2, read: (b, at) => b.readUInt16LE(at) },
};

/** Fixed-length frames (prefixSize 0), or frames whose first bytes give the payload length. */
class LengthFramer implements Framer {
  private held: Buffer = Buffer.alloc(0);
  /** Payload bytes of an overlong frame still to drop. */
  private toSkip = 0;

  constructor(
    private readonly lengthAt: (b: Buffer, at: number) => number,
    private readonly prefixSize: number,
    private readonly maxFrame: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    let data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    if (this.toSkip > 0) {
      const skip = Math.min(this.toSkip, data.length);
      this.toSkip -= skip;
      data = data.subarray(skip);
    }
    let start = 0;
    while (data.length - start >= Math.max(this.prefixSize, 1)) {
      const length = this.lengthAt(data, start);
      if (length > this.maxFrame) {
        this.sink.overlong();
        const available = data.length - start - this.prefixSize;
        this.toSkip = Math.max(0, length - available);
        start = Math.min(data.length, start + this.prefixSize + length);
        continue;
      }
      const end = start + this.prefixSize + length;
      if (end > data.length) break;
      this.sink.frame(data.subarray(start + this.prefixSize, end));
      start = end;
    }
    this.held = Buffer.from(data.subarray(start));
  }

  end(): void {
    if (this.held.length > 0) this.sink.skipped(this.held.length);
    this.reset();
  }

  reset(): void {
    this.held = Buffer.alloc(0);
    this.toSkip = 0;
  }
}

/** A frame is whatever arrived before a gap of `idleMs` without bytes (instruments that send a block). */
class IdleFramer implements Framer {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly maxFrame: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    clearTimeout(this.timer);
    if (!this.overflowed) {
      this.size += chunk.length;
      if (this.size > this.maxFrame) {
        this.sink.overlong();
        this.overflowed = true;
        this.parts = [];
      } else this.parts.push(Buffer.from(chunk));
    }
    this.timer = setTimeout(() => this.end(), this.idleMs);
  }

  end(): void {
    clearTimeout(this.timer);
    const frame = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const whole = !this.overflowed && frame.length > 0;
    this.reset();
    if (whole) this.sink.frame(frame);
  }

  reset(): void {
    clearTimeout(this.timer);
    this.parts = [];
    this.size = 0;
    this.overflowed = false;
  }
}
