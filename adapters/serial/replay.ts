/**
 * Replays a capture of a port's bytes (`file:`) through the same framing and decoder as a live
 * port. Pacing at speed N: by the capture's own clock when the format has one (NMEA time of
 * day), else by the bytes at the configured baud rate; `max` goes as fast as the queue takes it.
 * Reading is pull-based, so backpressure from the queue stops the file read too.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import type { AdapterContext } from "../../src/adapter-contract.js";
import { abortWith, sleep, untilAborted } from "../../src/backoff.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { runReplay } from "../../src/replay-task.js";
import { decodeFrame, type FrameDecoder } from "./formats/format.js";
import { createFramer, type FramingSpec } from "./framing.js";
import type { SerialOptions } from "./options.js";

/** Points handed over per emit() when nothing else flushes them (speed max). */
const BATCH_POINTS = 512;
/** A paced replay waits only when the next frame is this far ahead; closer frames go together. */
const MIN_SLEEP_MS = 2;
/** A capture clock jumping more than this (backwards, or forwards) is a discontinuity, not a pause. */
const MAX_GAP_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class SerialReplay {
  private readonly abort = new AbortController();
  private readonly path: string;
  private running: Promise<void> | undefined;
  private pending: PointInput[] = [];
  private readonly bitsPerByte: number;
  /** Bytes of framing around each frame (its delimiter or length prefix), for baud-rate pacing. */
  private readonly framingBytes: number;

  constructor(
    private readonly options: SerialOptions & { file: string },
    private readonly framing: FramingSpec,
    private readonly decoder: FrameDecoder,
    private readonly ctx: AdapterContext,
  ) {
    this.path = resolve(ctx.configDir, options.file);
    abortWith(ctx.signal, this.abort);
    const parityBits = options.parity === "none" ? 0 : 1;
    this.bitsPerByte = 1 + options.data_bits + parityBits + options.stop_bits;
    this.framingBytes =
      "delimiter" in framing ? framing.delimiter.length : "length_prefix" in framing ? (framing.length_prefix === "uint8" ? 1 : 2) : 0;
  }

  /** Checks the file can be opened (so start() fails loudly on a wrong path), then replays in the background. */
  async start(): Promise<void> {
    await (await open(this.path, "r")).close();
    this.ctx.status("up", `replaying ${this.path}`);
    this.running = runReplay(() => this.run(), this.abort.signal, this.ctx);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    do {
      const frames = await this.replayOnce();
      if (this.abort.signal.aborted) return;
      if (frames === 0) break;
    } while (this.options.loop);
    this.ctx.log.info("replay finished");
    this.ctx.finished();
  }

  /** One pass over the file; returns how many frames it held. */
  private async replayOnce(): Promise<number> {
    const signal = this.abort.signal;
    const clock = this.ctx.clock;
    const speed = this.options.speed;
    let frames: (Buffer | string)[] = [];
    let overlong = 0;
    let skipped = 0;
    const framer = createFramer(this.framing, this.options.max_line, {
      // Copied: a frame is a view of the read buffer, and these are decoded after the read.
      frame: (frame) => frames.push(Buffer.from(frame)),
      text: this.decoder.decodeText ? (frame) => frames.push(frame) : undefined,
      overlong: () => overlong++,
      skipped: (bytes) => {
        skipped += bytes;
      },
    });
    let startMono = clock.monotonicMs();
    let bytes = 0;
    let total = 0;
    let firstCapture: number | undefined;
    let elapsed = 0;
    const handle = async (batch: (Buffer | string)[]) => {
      for (const frame of batch) {
        if (signal.aborted) return;
        total++;
        bytes += frame.length + this.framingBytes;
        if (speed === "max") {
          decodeFrame(this.decoder, frame, this.pending);
          if (this.pending.length >= BATCH_POINTS) await this.flush();
          continue;
        }
        // Decoded first (NMEA's clock is in the frame), sent when due: what came before leaves now.
        const framePoints: PointInput[] = [];
        decodeFrame(this.decoder, frame, framePoints);
        const capture = this.decoder.captureTimeMs?.();
        if (capture !== undefined) {
          firstCapture ??= capture;
          let next = capture - firstCapture;
          if (next < elapsed - DAY_MS / 2) next += DAY_MS; // past midnight
          if (next < elapsed || next - elapsed > MAX_GAP_MS) {
            firstCapture = capture - elapsed; // a discontinuity: carry on from here without waiting
            next = elapsed;
          }
          elapsed = next;
        } else if (firstCapture === undefined) {
          elapsed = (bytes * this.bitsPerByte * 1000) / this.options.baud;
        }
        const due = startMono + elapsed / speed;
        if (due - clock.monotonicMs() >= MIN_SLEEP_MS) {
          startMono += await this.flush();
          await sleep(due - clock.monotonicMs(), signal);
        }
        for (const point of framePoints) this.pending.push(point);
      }
    };
    const input = createReadStream(this.path, { highWaterMark: 64 * 1024, signal });
    try {
      for await (const chunk of input) {
        framer.push(chunk as Buffer);
        const batch = frames;
        frames = [];
        await handle(batch);
        startMono += await this.flush();
        if (signal.aborted) return total;
      }
      framer.end();
      await handle(frames);
      await this.flush();
    } catch (error) {
      if (signal.aborted) return total;
      throw error;
    } finally {
      input.destroy();
      if (overlong > 0) this.ctx.count("overlong_frames", overlong);
      if (skipped > 0) this.ctx.count("skipped_bytes", skipped);
    }
    this.ctx.count("frames", total);
    return total;
  }

  /** Emits what is pending; waits while the queue is full. Returns the ms spent waiting, which shift the schedule. */
  private async flush(): Promise<number> {
    if (this.pending.length === 0) return 0;
    const points = this.pending;
    this.pending = [];
    if (this.ctx.emit(points)) return 0;
    const before = this.ctx.clock.monotonicMs();
    await untilAborted(this.ctx.drained(), this.abort.signal);
    return this.ctx.clock.monotonicMs() - before;
  }
}
