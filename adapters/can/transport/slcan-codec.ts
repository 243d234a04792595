/**
 * Lawicel/slcan ASCII frames, one per '\r':
 *   tiiildd…[ssss]       standard data frame (3 hex id, 1 hex DLC, data, optional 4-hex ms timestamp)
 *   Tiiiiiiiildd…[ssss]  extended data frame
 *   riiil[ssss] / Riiiiiiiil[ssss]   remote frames
 *   d/D (CAN FD), b/B (CAN FD with bit-rate switch): the DLC digit is an FD code (9 = 12 … F = 64 bytes)
 * The slcan timestamp counts ms within a minute, so it is parsed but not used as point time.
 */
import { type CanFrame, FD_LENGTHS, fromHex, hexDigit } from "../frame.js";

export type SlcanLine = { frame: CanFrame; timestampMs?: number } | { error: string } | null;

const EMPTY = new Uint8Array(0);

export function parseSlcanLine(line: string, channel: string): SlcanLine {
  if (line.length === 0) return null;
  const kind = line[0];
  const extended = kind === "T" || kind === "R" || kind === "D" || kind === "B";
  const rtr = kind === "r" || kind === "R";
  const fd = kind === "d" || kind === "D" || kind === "b" || kind === "B";
  if (!"tTrRdDbB".includes(kind)) {
    // Replies to commands (version V…, serial N…, z/Z transmit acks) carry no frame.
    return "VvNzZF".includes(kind) ? null : { error: `unexpected slcan line "${printable(line)}"` };
  }
  const idLength = extended ? 8 : 3;
  if (line.length < 1 + idLength + 1) return { error: `slcan frame too short: "${printable(line)}"` };
  const idText = line.slice(1, 1 + idLength);
  let id = 0;
  for (let i = 0; i < idText.length; i++) {
    const digit = hexDigit(idText.charCodeAt(i));
    if (digit < 0) return { error: `bad id in slcan frame "${printable(line)}"` };
    id = id * 16 + digit;
  }
  if (id > (extended ? 0x1fffffff : 0x7ff)) return { error: `id out of range in "${printable(line)}"` };
  const dlc = hexDigit(line.charCodeAt(1 + idLength));
  if (dlc < 0 || (!fd && dlc > 8)) return { error: `bad DLC in slcan frame "${printable(line)}"` };
  const length = fd ? FD_LENGTHS[dlc] : dlc;
  const dataStart = 2 + idLength;
  const dataChars = rtr ? 0 : length * 2;
  const tail = line.length - dataStart - dataChars;
  if (tail !== 0 && tail !== 4)
    return {
      error: `slcan frame "${printable(line)}" has ${line.length - dataStart} characters after the DLC, expected ${dataChars} (+4 with a timestamp)`,
    };
  const data = rtr ? EMPTY : fromHex(line.slice(dataStart, dataStart + dataChars));
  if (!data) return { error: `bad data in slcan frame "${printable(line)}"` };
  let timestampMs: number | undefined;
  if (tail === 4) {
    timestampMs = Number.parseInt(line.slice(line.length - 4), 16);
    if (Number.isNaN(timestampMs) || !/^[0-9A-Fa-f]{4}$/.test(line.slice(line.length - 4)))
      return { error: `bad timestamp in "${printable(line)}"` };
  }
  return { frame: { id, extended, rtr, error: false, fd, data, channel, timestampMs: undefined }, timestampMs };
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).slice(0, 80);
}
