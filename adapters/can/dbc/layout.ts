/**
 * Where a signal's bits live in the payload. Both byte orders reduce to a list of chunks, one per
 * byte touched: (byte, low bit in that byte, width, position of those bits in the raw value).
 */
import type { DbcSignal } from "./model.js";

export interface BitChunk {
  byte: number;
  /** Lowest bit inside the byte (0 = LSB). */
  lowBit: number;
  width: number;
  /** Where the chunk's lowest bit lands in the raw value. */
  shift: number;
}

/**
 * Intel (@1): raw bit k sits at payload bit start+k (bit n = byte n>>3, bit n&7).
 * Motorola (@0): the start bit is the MSB; bits run down inside a byte, then continue at bit 7
 * of the next byte ("sawtooth" numbering).
 */
export function signalChunks(signal: Pick<DbcSignal, "startBit" | "length" | "littleEndian">): BitChunk[] {
  const positions: number[] = new Array(signal.length);
  if (signal.littleEndian) {
    for (let k = 0; k < signal.length; k++) positions[k] = signal.startBit + k;
  } else {
    let pos = signal.startBit;
    for (let k = signal.length - 1; k >= 0; k--) {
      positions[k] = pos;
      pos = pos % 8 === 0 ? pos + 15 : pos - 1;
    }
  }
  const chunks: BitChunk[] = [];
  for (let k = 0; k < signal.length; k++) {
    const byte = positions[k] >> 3;
    const bit = positions[k] & 7;
    const last = chunks[chunks.length - 1];
    if (last && last.byte === byte && last.lowBit + last.width === bit) last.width++;
    else chunks.push({ byte, lowBit: bit, width: 1, shift: k });
  }
  return chunks;
}

/** Bytes the payload must have for the signal to be complete. */
export function bytesNeeded(signal: Pick<DbcSignal, "startBit" | "length" | "littleEndian">): number {
  let max = -1;
  for (const chunk of signalChunks(signal)) max = Math.max(max, chunk.byte);
  return max + 1;
}

/** False when a Motorola signal would run before bit 0 (a malformed start bit). */
export function chunksAreValid(signal: Pick<DbcSignal, "startBit" | "length" | "littleEndian">): boolean {
  return signalChunks(signal).every((chunk) => chunk.byte >= 0);
}
