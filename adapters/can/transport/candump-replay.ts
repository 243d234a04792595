/**
 * Replays a candump log (either text format) from a file or stdin, paced by capture time × speed
 * or as fast as the queue takes it, optionally looping. Reading is pull-based, so backpressure
 * from the queue stops the file read too.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { abortWith } from "../../../src/backoff.js";
import { runReplay } from "../../../src/replay-task.js";
import { parseCandumpLine } from "../candump.js";
import type { CanFrame } from "../frame.js";
import type { CanRuntime } from "../runtime.js";

export interface ReplaySettings {
  file: string;
  speed: number | "max";
  loop: boolean;
  channels?: string[];
  timestamps: "capture" | "restamp";
}

/** Frames handed over per deliver() in max mode. */
const MAX_MODE_BATCH = 512;
/** A paced replay waits only when the next frame is this far ahead; closer frames go together. */
const MIN_SLEEP_MS = 2;

export type OpenInput = (file: string) => Readable;

const defaultOpen: OpenInput = (file) => (file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 }));

export class CandumpReplay {
  private running: Promise<void> | undefined;
  /** Aborted by stop() or by the adapter context. */
  private readonly abort = new AbortController();
  private input: Readable | undefined;
  private readonly path: string;

  constructor(
    private readonly settings: ReplaySettings,
    private readonly runtime: CanRuntime,
    private readonly ctx: AdapterContext,
    private readonly openInput: OpenInput = defaultOpen,
  ) {
    this.path = settings.file === "-" ? "-" : resolve(ctx.configDir, settings.file);
    abortWith(ctx.signal, this.abort);
  }

  /** Checks the file can be opened (so start() fails loudly on a wrong path), then replays in the background. */
  async start(): Promise<void> {
    if (this.path !== "-") await (await open(this.path, "r")).close();
    this.ctx.status("up", `replaying ${this.path === "-" ? "stdin" : this.path}`);
    this.running = runReplay(() => this.run(), this.abort.signal, this.ctx);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.input?.destroy();
    await this.running;
  }

  private async run() {
    const clock = this.ctx.clock;
    const wallAnchor = clock.now();
    let loopOffsetMs = 0;
    let pass = 0;
    for (;;) {
      const span = await this.replayOnce(wallAnchor, loopOffsetMs, pass);
      if (this.abort.signal.aborted) return;
      if (!this.settings.loop || span.frames === 0) break;
      // The next pass continues the capture's timeline: its length plus one mean frame gap.
      loopOffsetMs += span.ms + (span.frames > 1 ? span.ms / (span.frames - 1) : 1);
      pass++;
    }
    this.runtime.flush();
    this.runtime.sendFinalHealth();
    this.ctx.log.info("replay finished");
    this.ctx.finished();
  }

  /** One pass over the input; returns the capture time it covered. */
  private async replayOnce(wallAnchor: number, loopOffsetMs: number, pass: number): Promise<{ ms: number; frames: number }> {
    const { speed, channels, timestamps } = this.settings;
    const clock = this.ctx.clock;
    const input = this.openInput(this.path);
    this.input = input;
    let firstTime: number | undefined;
    let lastTime: number | undefined;
    let frames = 0;
    let lineNo = 0;
    let batch: CanFrame[] = [];
    let startMono = clock.monotonicMs();
    const deliver = async () => {
      if (batch.length === 0) return;
      const before = clock.monotonicMs();
      const frames = batch;
      batch = [];
      await this.runtime.deliver(frames, this.abort.signal);
      // Time spent waiting for the queue shifts the schedule instead of causing a catch-up burst.
      const waited = clock.monotonicMs() - before;
      if (waited > 50) startMono += waited;
    };
    const handle = async (line: string): Promise<void> => {
      lineNo++;
      const parsed = parseCandumpLine(line);
      if (parsed === null) return;
      if ("error" in parsed) return this.runtime.malformed(`${this.path}:${lineNo}`, parsed.error);
      const frame = parsed.frame;
      if (channels && !channels.includes(frame.channel)) return;
      frames++;
      if (parsed.time !== undefined) {
        firstTime ??= parsed.time;
        lastTime = parsed.time;
        const sinceFirstMs = (parsed.time - firstTime) * 1000;
        if (timestamps === "capture") {
          frame.timestampMs = Math.round(parsed.absolute ? parsed.time * 1000 + loopOffsetMs : wallAnchor + loopOffsetMs + sinceFirstMs);
        }
        if (speed !== "max") {
          const due = startMono + sinceFirstMs / speed;
          if (due - clock.monotonicMs() >= MIN_SLEEP_MS) {
            await deliver();
            await this.sleep(due - clock.monotonicMs());
          }
        }
      }
      batch.push(frame);
      if (batch.length >= MAX_MODE_BATCH) await deliver();
    };
    let carry = "";
    // candump writes interface names as given (`cän0`): UTF-8, whose characters may straddle two chunks.
    const utf8 = new StringDecoder("utf8");
    try {
      for await (const chunk of input) {
        const text = carry + (typeof chunk === "string" ? chunk : utf8.write(chunk as Buffer));
        const lines = text.split("\n");
        carry = lines.pop() ?? "";
        for (const line of lines) {
          if (this.abort.signal.aborted) return { ms: 0, frames };
          await handle(line);
        }
      }
      carry += utf8.end();
      if (carry.trim() !== "" && !this.abort.signal.aborted) await handle(carry);
      await deliver();
    } finally {
      input.destroy();
    }
    if (pass === 0) this.ctx.log.info(`replayed ${frames} frames from ${lineNo} lines`);
    return { ms: firstTime !== undefined && lastTime !== undefined ? (lastTime - firstTime) * 1000 : 0, frames };
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.abort.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
