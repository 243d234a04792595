/**
 * The protobuf wire format (https://protobuf.dev/programming-guides/encoding/): varints, fixed
 * 32/64-bit words, length-delimited fields, skipping by wire type. Nothing here knows a schema.
 * The reader throws WireFormatError on malformed bytes and never reads past its limit, so a hostile
 * payload ends in an error, not in a loop or in garbage.
 */

/**
 * A 64-bit unsigned integer: a number up to 2^53 - 1 (the common case, no allocation), else the two
 * 32-bit halves, which keep values above 2^53 exact. The shape of protobufjs' Long, so callers read both.
 */
export type Int64 = number | { low: number; high: number; unsigned: boolean };

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** protoc's default recursion limit (CodedInputStream), which protobufjs applies too. */
export const MAX_DEPTH = 100;

export class WireFormatError extends Error {}

const TWO_32 = 4294967296;
const SAFE_HIGH = 0x1fffff; // the high word of 2^53 - 1

// One scratch word for the IEEE 754 conversions; little-endian whatever the host's order.
const scratch = new DataView(new ArrayBuffer(8));

export class WireReader {
  readonly buf: Buffer;
  pos = 0;
  /** Where the message being read ends: a nested message lowers it for its length. */
  limit: number;

  constructor(bytes: Uint8Array) {
    // A view, not a copy: Buffer's native UTF-8 decoding is what makes strings cheap.
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.limit = this.buf.length;
  }

  private fail(what: string, at = this.pos): never {
    throw new WireFormatError(`${what} at offset ${at}`);
  }

  /** A field key: field number << 3 | wire type, at most 32 bits; field number 0 does not exist. */
  tag(): number {
    const start = this.pos;
    const buf = this.buf;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.limit) this.fail("truncated field key", start);
      const b = buf[this.pos++];
      if (shift === 28 && b > 0x0f) this.fail("field key longer than 32 bits", start);
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        value >>>= 0;
        if (value >>> 3 === 0) this.fail("field number 0", start);
        return value;
      }
    }
    return this.fail("field key longer than 32 bits", start);
  }

  /** A varint's low 32 bits, unsigned (uint32 fields, lengths); the varint may be up to 10 bytes long. */
  uint32(): number {
    const buf = this.buf;
    if (this.pos < this.limit && buf[this.pos] < 0x80) return buf[this.pos++];
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) this.fail("truncated varint", start);
      const b = buf[this.pos++];
      if (i < 5) value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return value >>> 0;
    }
    return this.fail("varint longer than 10 bytes", start);
  }

  /** A uint64 varint, exact (see Int64). */
  uint64(): Int64 {
    const buf = this.buf;
    if (this.pos < this.limit && buf[this.pos] < 0x80) return buf[this.pos++];
    const start = this.pos;
    let low = 0;
    let high = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) this.fail("truncated varint", start);
      const b = buf[this.pos++];
      if (i < 4) low |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        low |= (b & 0x0f) << 28; // bits 28–31
        high |= (b & 0x7f) >>> 4; // bits 32–34
      } else high |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        low >>>= 0;
        high >>>= 0;
        return high <= SAFE_HIGH ? high * TWO_32 + low : { low: low | 0, high: high | 0, unsigned: true };
      }
    }
    return this.fail("varint longer than 10 bytes", start);
  }

  /** A bool varint: true when any of its bits is set. */
  bool(): boolean {
    const value = this.uint64();
    return typeof value === "number" ? value !== 0 : true;
  }

  float(): number {
    this.need(4);
    const buf = this.buf;
    const p = this.pos;
    scratch.setUint32(0, buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24), true);
    this.pos = p + 4;
    return scratch.getFloat32(0, true);
  }

  double(): number {
    this.need(8);
    const buf = this.buf;
    const p = this.pos;
    scratch.setUint32(0, buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24), true);
    scratch.setUint32(4, buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24), true);
    this.pos = p + 8;
    return scratch.getFloat64(0, true);
  }

  /** A length prefix, checked against what is left; returns where the field ends. */
  lengthEnd(): number {
    const start = this.pos;
    const length = this.uint64();
    if (typeof length !== "number" || length > this.limit - this.pos) {
      this.fail(`length ${typeof length === "number" ? length : "> 2^53"} runs past the end (${this.limit - this.pos} bytes left)`, start);
    }
    return this.pos + length;
  }

  /** A view into the payload, not a copy (as protobufjs returns for a Buffer). */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  /** UTF-8; malformed sequences become U+FFFD, as in protobufjs with a Buffer. */
  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return start === end ? "" : this.buf.toString("utf8", start, end);
  }

  /** Skips a field the schema does not know (or whose wire type is not the schema's), as protoc does. */
  skip(wireType: number, fieldNumber: number, depth: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint64();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LENGTH:
        this.pos = this.lengthEnd();
        return;
      case WIRE_START_GROUP:
        this.skipGroup(fieldNumber, depth + 1);
        return;
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        // 4 (an end group with no start) and 6, 7 (never defined).
        this.fail(`invalid wire type ${wireType} (field ${fieldNumber})`, this.pos - 1);
    }
  }

  /** A deprecated proto2 group: fields up to the end-group key of the same field number. */
  private skipGroup(fieldNumber: number, depth: number): void {
    if (depth > MAX_DEPTH) this.fail("nesting deeper than the recursion limit");
    for (;;) {
      const tag = this.tag();
      const wireType = tag & 7;
      if (wireType === WIRE_END_GROUP) {
        if (tag >>> 3 !== fieldNumber) this.fail(`end group ${tag >>> 3} closes group ${fieldNumber}`);
        return;
      }
      this.skip(wireType, tag >>> 3, depth);
    }
  }

  private need(n: number): void {
    if (this.limit - this.pos < n) this.fail(`truncated ${n}-byte field (${this.limit - this.pos} bytes left)`);
  }
}

/** Appends to a growing buffer; length prefixes are minimal varints, as every protobuf encoder writes them. */
export class WireWriter {
  private buf = new Uint8Array(256);
  pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf); // all of it: delimited() may have moved pos back
    this.buf = grown;
  }

  tag(fieldNumber: number, wireType: number): void {
    this.uint32(((fieldNumber << 3) | wireType) >>> 0);
  }

  uint32(value: number): void {
    this.reserve(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** A 64-bit varint from its two unsigned 32-bit halves. */
  uint64(low: number, high: number): void {
    this.reserve(10);
    let lo = low >>> 0;
    let hi = high >>> 0;
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  float(value: number): void {
    this.reserve(4);
    scratch.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = scratch.getUint8(i);
  }

  double(value: number): void {
    this.reserve(8);
    scratch.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.buf[this.pos++] = scratch.getUint8(i);
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  string(value: string): void {
    this.bytes(Buffer.from(value, "utf8"));
  }

  /**
   * A length-delimited field whose content `write` appends: one byte is kept for the length, and
   * the content moves right in the rare case that its length needs more.
   */
  delimited(write: () => void): void {
    this.reserve(1);
    const start = ++this.pos;
    write();
    const length = this.pos - start;
    let size = 1;
    while (length >= 2 ** (7 * size)) size++;
    if (size > 1) {
      this.reserve(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
    }
    const end = this.pos + size - 1;
    this.pos = start - 1;
    this.uint32(length);
    this.pos = end;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
