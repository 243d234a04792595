/** What every format decoder (nmea, lines, csv, json, regex, binary) offers the adapter. */
import type { PointInput } from "../../../src/pipeline/point.js";

export interface FrameDecoder {
  /** Decodes one frame and appends its points to `out`. Bad input is counted, never thrown. */
  decode(frame: Buffer, out: PointInput[]): void;
  /**
   * The capture's own clock after the last frame (ms, any origin), when the format carries one
   * (NMEA's time of day): a replay at speed N is paced by it instead of by the baud rate.
   */
  captureTimeMs?(): number | undefined;
}

/** The adapter's counter (ctx.count), as decoders see it. */
export type Count = (name: string, n?: number) => void;

/** A frame as text: latin1 keeps every byte one character, and the trailing CR/LF goes. */
export function frameText(frame: Buffer): string {
  let end = frame.length;
  while (end > 0 && (frame[end - 1] === 0x0d || frame[end - 1] === 0x0a)) end--;
  return frame.toString("latin1", 0, end);
}
