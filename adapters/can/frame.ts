/** One CAN frame as every transport hands it to the decoder. */
export interface CanFrame {
  /** 11-bit or 29-bit identifier, without flag bits. */
  id: number;
  extended: boolean;
  /** Remote transmission request: no data, only a length. */
  rtr: boolean;
  /** An error frame (CAN_ERR_FLAG): `id` holds the error class bits. */
  error: boolean;
  /** A CAN FD frame (may carry up to 64 bytes). */
  fd: boolean;
  data: Uint8Array;
  /** The interface the frame came from (`can0`, the candump line's interface, the slcan device). */
  channel: string;
  /** When the source says the frame was captured, epoch ms (replayed logs); undefined for live buses. */
  timestampMs?: number;
}

/** CAN FD data lengths by DLC code (0..15). */
export const FD_LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64] as const;

export function isValidFdLength(length: number): boolean {
  return length <= 8 || (FD_LENGTHS as readonly number[]).includes(length);
}

const HEX = "0123456789ABCDEF";

/** Uppercase hex without separators, as candump prints data. */
export function toHex(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i++) out += HEX[data[i] >> 4] + HEX[data[i] & 15];
  return out;
}

/** Parses an even-length hex string; undefined on any non-hex character. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i));
    const lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** The identifier as candump prints it: 3 hex digits for standard, 8 for extended. */
export function formatId(id: number, extended: boolean): string {
  return id
    .toString(16)
    .toUpperCase()
    .padStart(extended ? 8 : 3, "0");
}
