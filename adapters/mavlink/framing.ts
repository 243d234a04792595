/**
 * MAVLink v1/v2 framing: bytes in, checked frames out. Pure (no I/O, no timers).
 *
 * Written here instead of using node-mavlink's splitter because the adapter must count every
 * kind of bad input separately (CRC errors, unknown ids, truncated frames, signature problems),
 * verify signatures with a policy, read tlog timestamps reliably, and run at several hundred
 * thousand frames per second: the splitter concatenates its whole buffer on every chunk and
 * guesses tlog timestamps from the offset of the next start byte.
 *
 * Resynchronisation: a frame whose CRC fails (or whose id is unknown) is skipped whole when the
 * next frame starts right after it (a well-framed frame from another definition set, or a bit flip
 * inside a frame), and by one byte otherwise (a start byte that was really noise).
 */
import { createHash } from "node:crypto";

export const STX_V1 = 0xfe;
export const STX_V2 = 0xfd;
const V1_HEADER = 6;
const V2_HEADER = 10;
const SIGNATURE_LENGTH = 13;
const TLOG_STAMP = 8;
const IFLAG_SIGNED = 0x01;

export interface RawFrame {
  version: 1 | 2;
  seq: number;
  sysid: number;
  compid: number;
  msgid: number;
  /** The payload as sent (MAVLink 2 may have truncated trailing zeros). A view: valid during the callback only. */
  payload: Uint8Array;
  signed: boolean;
  /** Length on the wire, header to signature. */
  bytes: number;
  /** tlog only: capture time, µs since the epoch. */
  timestampUs?: number;
}

export type FrameProblem =
  /** A well-framed frame whose checksum is wrong. */
  | "crc_errors"
  /** A frame whose message id the dialect does not define: its CRC cannot be checked. */
  | "unknown_messages"
  /** A frame cut short by the end of a datagram or file. */
  | "truncated_frames"
  | "bad_signatures"
  | "unsigned_rejected"
  /** Signed with a timestamp not newer than the last one of its link: a replay. */
  | "replayed_signatures"
  /** Bytes between frames that belong to none. */
  | "bytes_discarded";

export type SigningPolicy = "ignore" | "accept_unsigned" | "require";

export interface FrameParserOptions {
  /** CRC_EXTRA of a message id, undefined when the dialect does not define it. */
  crcExtra(msgid: number): number | undefined;
  /** Each frame is preceded by an 8-byte big-endian µs timestamp (a .tlog file). */
  tlog?: boolean;
  signing?: { policy: SigningPolicy; key?: Uint8Array };
  onFrame(frame: RawFrame): void;
  /** `sysid` when the problem belongs to a frame whose header could be read. */
  onProblem(problem: FrameProblem, count: number, sysid?: number): void;
}

export class FrameParser {
  private carry: Uint8Array | undefined;
  private readonly prefix: number;
  private readonly lastSignatureStamp = new Map<number, number>();

  constructor(private readonly options: FrameParserOptions) {
    this.prefix = options.tlog ? TLOG_STAMP : 0;
  }

  /** Forgets partial input and signature timestamps (a new connection, a replay starting over). */
  reset(): void {
    this.carry = undefined;
    this.lastSignatureStamp.clear();
  }

  /**
   * Feeds bytes. `final`: nothing follows that belongs with them (the end of a datagram or of a
   * file), so an incomplete frame at the end is truncated rather than waited for.
   */
  push(chunk: Uint8Array, final = false): void {
    let buf = chunk;
    if (this.carry) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry, 0);
      buf.set(chunk, this.carry.length);
      this.carry = undefined;
    }
    const end = buf.length;
    const prefix = this.prefix;
    let pos = 0;
    while (pos < end) {
      const stx = findStx(buf, pos + prefix, end);
      if (stx < 0) {
        // Keep what could still be the timestamp of a frame whose start byte has not arrived.
        const keep = final ? end : Math.max(pos, end - prefix);
        if (keep > pos) this.options.onProblem("bytes_discarded", keep - pos);
        pos = keep;
        break;
      }
      if (stx - prefix > pos) {
        this.options.onProblem("bytes_discarded", stx - prefix - pos);
        pos = stx - prefix;
      }
      const v2 = buf[stx] === STX_V2;
      const header = v2 ? V2_HEADER : V1_HEADER;
      if (stx + header > end) break;
      const length = buf[stx + 1];
      const incompat = v2 ? buf[stx + 2] : 0;
      if (incompat & ~IFLAG_SIGNED) {
        // Flags this implementation does not know: not a frame we may parse.
        this.options.onProblem("bytes_discarded", 1);
        pos += 1;
        continue;
      }
      const signed = (incompat & IFLAG_SIGNED) !== 0;
      const frameEnd = stx + header + length + 2 + (signed ? SIGNATURE_LENGTH : 0);
      if (frameEnd > end) break;
      const sysid = v2 ? buf[stx + 5] : buf[stx + 3];
      const msgid = v2 ? buf[stx + 7] | (buf[stx + 8] << 8) | (buf[stx + 9] << 16) : buf[stx + 5];
      const extra = this.options.crcExtra(msgid);
      const crcAt = stx + header + length;
      if (extra === undefined || crc16(buf, stx + 1, crcAt, extra) !== (buf[crcAt] | (buf[crcAt + 1] << 8))) {
        if (this.nextFrameStartsAt(buf, frameEnd, end)) {
          this.options.onProblem(extra === undefined ? "unknown_messages" : "crc_errors", 1, sysid);
          pos = frameEnd;
        } else {
          this.options.onProblem("bytes_discarded", 1);
          pos += 1;
        }
        continue;
      }
      const compid = v2 ? buf[stx + 6] : buf[stx + 4];
      if (!this.signatureAccepted(buf, stx, frameEnd, signed, sysid, compid)) {
        pos = frameEnd;
        continue;
      }
      const frame: RawFrame = {
        version: v2 ? 2 : 1,
        seq: v2 ? buf[stx + 4] : buf[stx + 2],
        sysid,
        compid,
        msgid,
        payload: buf.subarray(stx + header, crcAt),
        signed,
        bytes: frameEnd - stx,
      };
      if (prefix) frame.timestampUs = readStampUs(buf, pos);
      pos = frameEnd;
      this.options.onFrame(frame);
    }
    if (pos < end) {
      if (final) {
        const stx = findStx(buf, pos + prefix, end);
        if (stx >= 0) this.options.onProblem("truncated_frames", 1);
        else this.options.onProblem("bytes_discarded", end - pos);
      } else {
        this.carry = buf.slice(pos);
      }
    }
  }

  /** Signals the end of input: whatever is left is an incomplete frame. */
  end(): void {
    if (this.carry) this.push(new Uint8Array(0), true);
  }

  private nextFrameStartsAt(buf: Uint8Array, at: number, end: number): boolean {
    const stx = at + this.prefix;
    if (stx >= end) return true; // nothing after it yet: take the frame boundary as given
    return buf[stx] === STX_V1 || buf[stx] === STX_V2;
  }

  private signatureAccepted(buf: Uint8Array, stx: number, frameEnd: number, signed: boolean, sysid: number, compid: number): boolean {
    const signing = this.options.signing;
    if (!signing || signing.policy === "ignore") return true;
    if (!signed) {
      if (signing.policy === "require") {
        this.options.onProblem("unsigned_rejected", 1, sysid);
        return false;
      }
      return true;
    }
    const key = signing.key;
    if (!key || !signatureMatches(buf, stx, frameEnd, key)) {
      this.options.onProblem("bad_signatures", 1, sysid);
      return false;
    }
    const sig = frameEnd - SIGNATURE_LENGTH;
    const link = (sysid << 16) | (compid << 8) | buf[sig];
    const stamp = readUIntLE48(buf, sig + 1);
    const last = this.lastSignatureStamp.get(link);
    // As the MAVLink C library does: a timestamp not newer than the link's last is a replay.
    if (last !== undefined && stamp <= last) {
      this.options.onProblem("replayed_signatures", 1, sysid);
      return false;
    }
    this.lastSignatureStamp.set(link, stamp);
    return true;
  }
}

function findStx(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const byte = buf[i];
    if (byte === STX_V2 || byte === STX_V1) return i;
  }
  return -1;
}

/** CRC-16/MCRF4XX (X.25) over buf[from, to) followed by CRC_EXTRA, as MAVLink computes it. */
export function crc16(buf: Uint8Array, from: number, to: number, extra: number): number {
  let crc = 0xffff;
  for (let i = from; i < to; i++) {
    let tmp = buf[i] ^ (crc & 0xff);
    tmp = (tmp ^ (tmp << 4)) & 0xff;
    crc = ((crc >> 8) ^ (tmp << 8) ^ (tmp << 3) ^ (tmp >> 4)) & 0xffff;
  }
  let tmp = extra ^ (crc & 0xff);
  tmp = (tmp ^ (tmp << 4)) & 0xff;
  return ((crc >> 8) ^ (tmp << 8) ^ (tmp << 3) ^ (tmp >> 4)) & 0xffff;
}

/** MAVLink 2 signature: the first 6 bytes of SHA-256(key ‖ frame up to and including the signature timestamp). */
export function signatureMatches(buf: Uint8Array, stx: number, frameEnd: number, key: Uint8Array): boolean {
  const digest = createHash("sha256")
    .update(key)
    .update(buf.subarray(stx, frameEnd - 6))
    .digest();
  for (let i = 0; i < 6; i++) if (digest[i] !== buf[frameEnd - 6 + i]) return false;
  return true;
}

/** MAVLink 2 signature timestamps count 10 µs units since 2015-01-01. */
export const SIGNATURE_EPOCH_MS = Date.UTC(2015, 0, 1);

/**
 * Signs a MAVLink 2 frame serialised with the signed flag (incompat_flags bit 0) already set, so
 * its CRC covers the flag: appends link id, timestamp and the 6-byte signature.
 */
export function signFrame(frame: Uint8Array, key: Uint8Array, linkId: number, stamp: number): Uint8Array {
  const signed = new Uint8Array(frame.length + SIGNATURE_LENGTH);
  signed.set(frame, 0);
  signed[frame.length] = linkId;
  let rest = stamp;
  for (let i = 0; i < 6; i++) {
    signed[frame.length + 1 + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  const digest = createHash("sha256")
    .update(key)
    .update(signed.subarray(0, signed.length - 6))
    .digest();
  signed.set(digest.subarray(0, 6), signed.length - 6);
  return signed;
}

/** The 32-byte signing key: 64 hex digits as given, or SHA-256 of a passphrase (Mission Planner, QGC). */
export function signingKey(secret: string): Uint8Array {
  if (/^[0-9a-fA-F]{64}$/.test(secret)) return Uint8Array.from(Buffer.from(secret, "hex"));
  return Uint8Array.from(createHash("sha256").update(secret).digest());
}

function readStampUs(buf: Uint8Array, at: number): number {
  const high = ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
  const low = ((buf[at + 4] << 24) | (buf[at + 5] << 16) | (buf[at + 6] << 8) | buf[at + 7]) >>> 0;
  return high * 4294967296 + low;
}

function readUIntLE48(buf: Uint8Array, at: number): number {
  let value = 0;
  for (let i = 5; i >= 0; i--) value = value * 256 + buf[at + i];
  return value;
}
