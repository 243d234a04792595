/**
 * An slcan (Lawicel) adapter on a serial port: close, set the bitrate, open (or listen-only),
 * then read frames. A lost port (unplugged) is reopened with capped exponential backoff.
 * Backpressure pauses the port: the adapter's and the kernel's buffers absorb the burst.
 */
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { abortWith, Backoff, orAbort, sleep } from "../../../src/backoff.js";
import { describeSerialOpenError } from "../../../src/serial-port-errors.js";
import { SLCAN_BITRATES } from "../options.js";
import type { CanRuntime } from "../runtime.js";
import { parseSlcanLine } from "./slcan-codec.js";

export interface SlcanSettings {
  device: string;
  bitrate: number;
  serialBaud: number;
  listenOnly: boolean;
  channel: string;
  minMs: number;
  maxMs: number;
}

/** How long the adapter may take to answer one setup command. */
const COMMAND_TIMEOUT_MS = 1000;
const BELL = 0x07;
const CR = 0x0d;

interface Port {
  write(data: string, callback?: (error: Error | null | undefined) => void): boolean;
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "close" | "error", listener: (error?: Error) => void): void;
  close(callback?: (error?: Error | null) => void): void;
  pause(): void;
  resume(): void;
  isOpen: boolean;
}

export class SlcanTransport {
  private readonly abort = new AbortController();
  private port: Port | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly settings: SlcanSettings,
    private readonly runtime: CanRuntime,
    private readonly ctx: AdapterContext,
  ) {
    this.backoff = new Backoff({ initialMs: settings.minMs, maxMs: settings.maxMs });
    abortWith(ctx.signal, this.abort);
  }

  /** Resolves once the first open attempt ended (up or failed); reconnecting goes on in the background. */
  async start(): Promise<void> {
    let firstAttempt: () => void = () => {};
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.loop = this.run(firstAttempt);
    await attempted;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.closePort();
    await this.loop;
  }

  private async run(firstAttempt: () => void) {
    const signal = this.abort.signal;
    try {
      while (!signal.aborted) {
        try {
          const { lost } = await this.openAndSetUp();
          this.backoff.reset();
          this.ctx.status("up", `slcan ${this.settings.device} at ${this.settings.bitrate} bit/s`);
          firstAttempt();
          const reason = await orAbort(lost, signal, "stopped");
          if (signal.aborted) return;
          this.ctx.status("down", `slcan ${this.settings.device}: ${reason}`);
          this.ctx.count("reconnects");
        } catch (error) {
          if (signal.aborted) return;
          this.ctx.status("down", `slcan ${describeSerialOpenError(error, this.settings.device)}`);
          firstAttempt();
        }
        await this.closePort();
        const wait = this.backoff.next();
        this.ctx.log.info(`reopening ${this.settings.device} in ${wait} ms`);
        await sleep(wait, signal);
      }
    } finally {
      // A stop() that came while the port was still opening found no port to close: close it here,
      // or the device stays locked (the next start cannot open it) and on the bus. And start() must
      // not wait for an attempt that will never be made.
      firstAttempt();
      await this.closePort();
    }
  }

  /**
   * Opens the port and sends the setup commands. `lost` resolves with why the port went away
   * (wrapped in an object: an async function returning a bare promise would wait for it).
   */
  private async openAndSetUp(): Promise<{ lost: Promise<string> }> {
    const { SerialPort } = await import("serialport");
    this.ctx.status("connecting", `opening ${this.settings.device}`);
    const port = await new Promise<Port>((resolve, reject) => {
      const opened = new SerialPort({ path: this.settings.device, baudRate: this.settings.serialBaud, autoOpen: false });
      opened.open((error) => (error ? reject(error) : resolve(opened as unknown as Port)));
    });
    this.port = port;
    if (this.abort.signal.aborted) throw new Error("stopped while opening");
    let replies: number[] = [];
    let replyWaiter: (() => void) | undefined;
    let text = "";
    const lost = new Promise<string>((resolve) => {
      port.on("close", (error) => resolve(error?.message ?? "port closed"));
      port.on("error", (error) => resolve(error?.message ?? "port error"));
    });
    port.on("data", (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === CR || byte === BELL) {
          if (text.length === 0 || byte === BELL) {
            replies.push(byte);
            replyWaiter?.();
          } else this.onLine(text);
          text = "";
        } else if (byte !== 0x0a) text += String.fromCharCode(byte);
      }
    });
    const command = async (cmd: string, mustSucceed: boolean) => {
      replies = [];
      await new Promise<void>((resolve, reject) => port.write(`${cmd}\r`, (error) => (error ? reject(error) : resolve())));
      const reply = await new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => {
          replyWaiter = undefined;
          resolve(undefined);
        }, COMMAND_TIMEOUT_MS);
        replyWaiter = () => {
          clearTimeout(timer);
          replyWaiter = undefined;
          resolve(replies[0]);
        };
        if (replies.length > 0) replyWaiter();
      });
      if (!mustSucceed) return;
      if (reply === undefined) throw new Error(`no answer to "${cmd}" within ${COMMAND_TIMEOUT_MS} ms: is it an slcan adapter?`);
      if (reply === BELL) throw new Error(`adapter refused "${cmd}"`);
    };
    // Close first: an adapter left open by a previous run refuses a new bitrate.
    await command("C", false);
    await command(SLCAN_BITRATES[this.settings.bitrate], true);
    await command(this.settings.listenOnly ? "L" : "O", true);
    return { lost };
  }

  private onLine(line: string) {
    const parsed = parseSlcanLine(line, this.settings.channel);
    if (parsed === null) return;
    if ("error" in parsed) return this.runtime.malformed(`from ${this.settings.device}`, parsed.error);
    this.runtime.push(parsed.frame, () => this.pauseUntilDrained());
  }

  private pauseUntilDrained() {
    const port = this.port;
    if (!port) return;
    port.pause();
    void this.ctx.drained().then(() => port.resume());
  }

  private async closePort() {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    // Best effort: tell the adapter to leave the bus before letting go of the port.
    await withDeadline(new Promise<void>((resolve) => port.write("C\r", () => resolve())), 300);
    await withDeadline(new Promise<void>((resolve) => port.close(() => resolve())), 1000);
  }
}

function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
