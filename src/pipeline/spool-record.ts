/**
 * One record of the spool's segment log: a run of points as written by the queue.
 *
 *   offset 0  u32 magic "PBS1"
 *          4  u32 body length
 *          8  u32 CRC-32 of the point count and the body
 *         12  u32 point count
 *         16  u32 points done (acknowledged or dropped), from the first: rewritten in place
 *         20  u32 the same, bit-inverted: a torn rewrite reads as 0 done (duplicates, never loss)
 *         24  body: meta JSON \n origins JSON \n sizes JSON \n points (spoolJson)
 *
 * The done count is the only mutable field, and marking points done never needs new disk space:
 * on a 100 % full disk acknowledged points are still recorded as such.
 */
import { crc32 } from "node:zlib";
import type { QueuedPoint } from "./batch-source.js";
import { parseSpoolJson, spoolJson } from "./point-json.js";

export const HEADER_BYTES = 24;
const MAGIC = 0x50425331;
export const DONE_OFFSET = 16;

export interface RecordMeta {
  /** Boot id: monotonic stamps are comparable only within one boot. */
  b: string;
  /** Run id: adapter indices (origins) are meaningful only within one run. */
  r: string;
  /** Monotonic and wall clock when written, to map monotonic stamps after a reboot. */
  m: number;
  w: number;
}

export interface RecordHeader {
  bodyLength: number;
  crc: number;
  count: number;
  done: number;
}

export interface RecordBody {
  meta: RecordMeta;
  origins: number[];
  sizes: number[];
  points: QueuedPoint[];
}

export function encodeRecord(
  meta: RecordMeta,
  points: readonly QueuedPoint[],
  origins: readonly number[],
  sizes: readonly number[],
  done: number,
): Buffer {
  const body = `${JSON.stringify(meta)}\n${JSON.stringify(origins)}\n${JSON.stringify(sizes)}\n${spoolJson(points)}`;
  const length = Buffer.byteLength(body);
  const record = Buffer.allocUnsafe(HEADER_BYTES + length);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt32LE(length, 4);
  record.writeUInt32LE(points.length, 12);
  writeDone(record, 0, done);
  record.write(body, HEADER_BYTES, "utf8");
  record.writeUInt32LE(checksum(record.subarray(12, 16), record.subarray(HEADER_BYTES)), 8);
  return record;
}

/** The 8 bytes of the done field, for an in-place rewrite at offset DONE_OFFSET. */
export function doneField(done: number): Buffer {
  const field = Buffer.allocUnsafe(8);
  writeDone(field, -DONE_OFFSET, done);
  return field;
}

function writeDone(buffer: Buffer, base: number, done: number): void {
  buffer.writeUInt32LE(done, base + DONE_OFFSET);
  buffer.writeUInt32LE(~done >>> 0, base + DONE_OFFSET + 4);
}

function checksum(count: Uint8Array, body: Uint8Array): number {
  return crc32(body, crc32(count));
}

/** The header at the start of `bytes`, or undefined when it is not one (a torn or foreign tail). */
export function readHeader(bytes: Buffer): RecordHeader | undefined {
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC) return undefined;
  const count = bytes.readUInt32LE(12);
  const done = bytes.readUInt32LE(DONE_OFFSET);
  const intact = ~done >>> 0 === bytes.readUInt32LE(DONE_OFFSET + 4) && done <= count;
  return { bodyLength: bytes.readUInt32LE(4), crc: bytes.readUInt32LE(8), count, done: intact ? done : 0 };
}

export class CorruptRecordError extends Error {}

/** Decodes a record's body, checking it against the header's CRC. */
export function decodeBody(header: RecordHeader, body: Buffer): RecordBody {
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32LE(header.count, 0);
  if (body.length !== header.bodyLength || checksum(count, body) !== header.crc) throw new CorruptRecordError("CRC mismatch");
  const text = body.toString("utf8");
  const a = text.indexOf("\n");
  const b = text.indexOf("\n", a + 1);
  const c = text.indexOf("\n", b + 1);
  const points = parseSpoolJson(text.slice(c + 1));
  if (points.length !== header.count) throw new CorruptRecordError(`${points.length} points, header says ${header.count}`);
  return {
    meta: JSON.parse(text.slice(0, a)) as RecordMeta,
    origins: JSON.parse(text.slice(a + 1, b)) as number[],
    sizes: JSON.parse(text.slice(b + 1, c)) as number[],
    points,
  };
}
