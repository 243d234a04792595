/** What every format decoder (nmea, lines, csv, json, regex, binary) offers the adapter. */
import type { PointInput } from "../../../src/pipeline/point.js";

export interface FrameDecoder {
  /** Decodes one frame and appends its points to `out`. Bad input is counted, never thrown. */
  decode(frame: Buffer, out: PointInput[]): void;
  /** The same for a frame already in latin1 text (text formats; the delimiter framer gives text). */
  decodeText?(frame: string, out: PointInput[]): void;
  /**
   * The capture's own clock after the last frame (ms, any origin), when the format carries one
   * (NMEA's time of day): a replay at speed N is paced by it instead of by the baud rate.
   */
  captureTimeMs?(): number | undefined;
}

/** The adapter's counter (ctx.count), as decoders see it. */
export type Count = (name: string, n?: number) => void;

/** A frame as text: latin1 keeps every byte one character. */
export function frameText(frame: Buffer): string {
  return frame.toString("latin1");
}

/** The text without the CR (and LF) that end a line: a device's "\r\n" split on "\n" leaves a CR. */
export function withoutLineEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 0x0d || text.charCodeAt(end - 1) === 0x0a)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** A format whose frames are lines of text: blank lines are skipped, the line end removed. */
export abstract class LineDecoder implements FrameDecoder {
  decode(frame: Buffer, out: PointInput[]): void {
    this.decodeText(frameText(frame), out);
  }

  decodeText(frame: string, out: PointInput[]): void {
    const text = withoutLineEnd(frame);
    if (text.trim() !== "") this.decodeLine(text, out);
  }

  protected abstract decodeLine(text: string, out: PointInput[]): void;
}

/** Decodes a frame in whichever form it came. */
export function decodeFrame(decoder: FrameDecoder, frame: Buffer | string, out: PointInput[]): void {
  if (typeof frame !== "string") decoder.decode(frame, out);
  else if (decoder.decodeText) decoder.decodeText(frame, out);
  else decoder.decode(Buffer.from(frame, "latin1"), out);
}
