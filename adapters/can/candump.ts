/**
 * Parses the two text formats of can-utils' candump:
 *   log (`candump -l`):     (1594172461.968006) vcan0 0C8#F000000000000000
 *                           (…) can0 123#R, 123#R5, 14C##1<64 bytes> (CAN FD, flags nibble), 123#11.22
 *   bracketed (default):    [(ts)]  vcan0  0C8   [8]  F0 00 00 00 00 00 00 00  ['ascii'] [ERRORFRAME]
 *                           timestamps as seconds (-ta/-td/-tz) or `(2020-12-19 12:04:45.485261)` (-tA)
 * 8-digit ids are extended; CAN_ERR_FLAG (0x20000000) in one marks an error frame.
 */
import { type CanFrame, fromHex, hexDigit } from "./frame.js";

export interface ParsedFrame {
  frame: CanFrame;
  /** Capture time in seconds as written: epoch (absolute) or since the capture started (relative). */
  time?: number;
  /** The time is epoch seconds (not relative to the first frame). */
  absolute: boolean;
}

export type CandumpLine = ParsedFrame | { error: string } | null;

const CAN_ERR_FLAG = 0x20000000;
const CAN_EFF_MASK = 0x1fffffff;
const EMPTY = new Uint8Array(0);

/** Returns the frame, null for a line with nothing on it (blank, `#` comment), or why it is malformed. */
export function parseCandumpLine(line: string): CandumpLine {
  let rest = line.trim();
  if (rest === "" || rest.startsWith("#")) return null;
  let time: number | undefined;
  let absolute = false;
  if (rest.startsWith("(")) {
    const close = rest.indexOf(")");
    if (close < 0) return { error: "timestamp has no closing ')'" };
    const stamp = parseTimestamp(rest.slice(1, close));
    if (!stamp) return { error: `bad timestamp "${rest.slice(1, close)}"` };
    time = stamp.time;
    absolute = stamp.absolute;
    rest = rest.slice(close + 1).trim();
  }
  const fields = rest.split(/\s+/);
  const channel = fields[0];
  if (!channel) return { error: "no interface name" };
  if (fields.length === 1) return { error: "no frame after the interface name" };
  if (fields[1] === "ERROR") {
    return { frame: makeFrame(0, false, false, true, false, EMPTY, channel), time, absolute };
  }
  const parsed = fields[1].includes("#") ? parseLogFrame(fields[1], channel) : parseBracketedFrame(fields, channel, rest);
  if ("problem" in parsed) return { error: parsed.problem };
  return { frame: parsed, time, absolute };
}

function parseTimestamp(text: string): { time: number; absolute: boolean } | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(text.trim());
  if (date) {
    // candump -tA prints local time.
    const [, y, mo, d, h, mi, s, fraction] = date;
    const ms = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
    return { time: ms / 1000 + (fraction ? Number(fraction) : 0), absolute: true };
  }
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  const time = Number(text);
  // -ta writes epoch seconds; -td/-tz (and SavvyCAN exports) write seconds since an arbitrary start.
  return { time, absolute: time >= 1e8 };
}

function parseId(text: string): { id: number; extended: boolean; error: boolean } | { problem: string } {
  if (text.length === 0 || text.length > 8) return { problem: `bad CAN id "${text}"` };
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) return { problem: `bad CAN id "${text}"` };
    value = value * 16 + digit;
  }
  if (text.length <= 3) {
    if (value > 0x7ff) return { problem: `standard id ${text} is over 0x7FF` };
    return { id: value, extended: false, error: false };
  }
  if ((value & CAN_ERR_FLAG) !== 0) return { id: value & CAN_EFF_MASK & ~CAN_ERR_FLAG, extended: false, error: true };
  if (value > CAN_EFF_MASK) return { problem: `extended id ${text} is over 29 bits` };
  return { id: value, extended: true, error: false };
}

/** Every frame built here has the same shape (property order), which keeps the decoder monomorphic. */
function makeFrame(id: number, extended: boolean, rtr: boolean, error: boolean, fd: boolean, data: Uint8Array, channel: string): CanFrame {
  return { id, extended, rtr, error, fd, data, channel, timestampMs: undefined };
}

function parseLogFrame(text: string, channel: string): CanFrame | { problem: string } {
  const hash = text.indexOf("#");
  const id = parseId(text.slice(0, hash));
  if (!("id" in id)) return id;
  let body = text.slice(hash + 1);
  if (body.charCodeAt(0) === 35 /* # */) {
    // CAN FD: one hex digit of flags (BRS, ESI), then the data.
    if (body.length < 2 || hexDigit(body.charCodeAt(1)) < 0) return { problem: `CAN FD frame "${text}" lacks its flags digit` };
    const data = fromHex(withoutDots(body.slice(2)));
    if (!data) return { problem: `bad CAN FD data in "${text}"` };
    if (data.length > 64) return { problem: `CAN FD frame of ${data.length} bytes (at most 64)` };
    return makeFrame(id.id, id.extended, false, id.error, true, data, channel);
  }
  const first = body.charCodeAt(0);
  if (first === 82 /* R */ || first === 114 /* r */) {
    if (!/^[Rr]\d?(_[0-9A-Fa-f])?$/.test(body)) return { problem: `bad remote frame "${text}"` };
    return makeFrame(id.id, id.extended, true, id.error, false, EMPTY, channel);
  }
  // Classic CAN with a raw DLC 9..F is written as data plus "_<dlc>".
  const underscore = body.indexOf("_");
  if (underscore >= 0) body = body.slice(0, underscore);
  const data = fromHex(withoutDots(body));
  if (!data) return { problem: `bad data in "${text}"` };
  if (data.length > 64) return { problem: `frame of ${data.length} bytes (at most 64)` };
  return makeFrame(id.id, id.extended, false, id.error, data.length > 8, data, channel);
}

/** cansend-style "11.22.33" separators. */
function withoutDots(hex: string): string {
  return hex.includes(".") ? hex.replaceAll(".", "") : hex;
}

function parseBracketedFrame(fields: string[], channel: string, line: string): CanFrame | { problem: string } {
  let i = 1;
  // candump -x adds "RX - -" / "TX B E" before the id.
  if ((fields[i] === "RX" || fields[i] === "TX") && fields.length > i + 3) i += 3;
  const id = parseId(fields[i]);
  if (!("id" in id)) return id;
  const lengthField = /^\[(\d+)\]$/.exec(fields[i + 1] ?? "");
  if (!lengthField) return { problem: `expected [length] after the id, got "${fields[i + 1] ?? ""}"` };
  const length = Number(lengthField[1]);
  // Any length up to 64 is read (tools write odd lengths); the decoder copes with whatever arrives.
  if (length > 64) return { problem: `length [${lengthField[1]}] is over 64 bytes` };
  if (fields[i + 2] === "remote" && fields[i + 3] === "request")
    return makeFrame(id.id, id.extended, true, id.error, false, EMPTY, channel);
  const bytes = fields.slice(i + 2, i + 2 + length);
  if (bytes.length < length || bytes.some((byte) => !/^[0-9A-Fa-f]{2}$/.test(byte))) {
    return { problem: `[${length}] announces ${length} bytes; found "${bytes.join(" ")}"` };
  }
  const data = fromHex(bytes.join("")) as Uint8Array;
  return makeFrame(id.id, id.extended, false, id.error || line.endsWith("ERRORFRAME"), length > 8, data, channel);
}
