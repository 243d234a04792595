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
  /** A frame; valid only during the call (it may be a view of the read buffer). */
  frame(frame: Buffer): void;
  /** Given, frames found by a delimiter come here as latin1 text instead (text formats). */
  text?(frame: string): void;
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
  if ("delimiter" in spec) return new DelimiterFramer(spec.delimiter, maxFrame, sink);
  if ("regex" in spec) return new RegexFramer(new RegExp(spec.regex, "g"), maxFrame, sink);
  if ("length" in spec) return new LengthFramer(() => spec.length, 0, maxFrame, sink);
  if ("length_prefix" in spec) {
    const read = PREFIX_READERS[spec.length_prefix];
    return new LengthFramer(read.read, read.size, maxFrame, sink);
  }
  return new IdleFramer(spec.idle, maxFrame, sink);
}

/**
 * Works on latin1 text (one character per byte, so lengths are byte counts): text formats then
 * get their frames as strings without a conversion per frame, the costly part at 100k frames/s.
 */
class DelimiterFramer implements Framer {
  private held = "";
  /** Inside an overlong frame: drop bytes up to the next delimiter. */
  private discarding = false;

  constructor(
    private readonly delimiter: string,
    private readonly maxFrame: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    // A delimiter may straddle two chunks: search the held tail and the chunk together. The held
    // part is at most maxFrame bytes.
    const data = this.held + chunk.toString("latin1");
    const step = this.delimiter.length;
    let start = 0;
    for (;;) {
      const at = data.indexOf(this.delimiter, start);
      if (at === -1) break;
      if (this.discarding) this.discarding = false;
      else if (at - start > this.maxFrame) this.sink.overlong();
      else this.emit(data.slice(start, at));
      start = at + step;
    }
    const rest = data.length - start;
    // Inside an overlong frame only a possible first part of the delimiter is kept.
    if (this.discarding) this.held = step > 1 ? data.slice(Math.max(start, data.length - step + 1)) : "";
    else if (rest > this.maxFrame) {
      this.sink.overlong();
      this.discarding = true;
      this.held = step > 1 ? data.slice(data.length - step + 1) : "";
    } else this.held = rest === 0 ? "" : data.slice(start);
  }

  end(): void {
    const held = this.held;
    const whole = !this.discarding;
    this.reset();
    if (held.length > 0 && whole) this.emit(held);
  }

  reset(): void {
    this.held = "";
    this.discarding = false;
  }

  private emit(frame: string): void {
    if (this.sink.text) this.sink.text(frame);
    else this.sink.frame(Buffer.from(frame, "latin1"));
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
