/**
 * The serial port: opened with the configured line settings through serialport (imported here,
 * only when a device is configured), init strings written after each open, and reopened with
 * backoff whenever the device is missing, unplugged or fails a read. The adapter sees bytes and
 * state changes; pause()/resume() carry the queue's backpressure to the port (the kernel's and
 * the device's buffers absorb the burst, or flow control stops the sender).
 */
import { stat } from "node:fs/promises";
import type { SerialPort } from "serialport";
import type { AdapterContext } from "../../src/adapter-contract.js";
import { abortWith, Backoff, sleep } from "../../src/backoff.js";
import { describeSerialOpenError } from "../../src/serial-port-errors.js";
import type { SerialOptions } from "./options.js";

/** How often an open port checks that its device node still exists (a pty or USB node that vanished). */
const DEVICE_CHECK_MS = 1000;
const CLOSE_DEADLINE_MS = 1000;

export interface PortEvents {
  /** The port (re)opened: a partial frame from before is garbage now. */
  opened(): void;
  data(chunk: Buffer): void;
}

export class SerialDevice {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private port: SerialPort | undefined;
  private loop: Promise<void> | undefined;
  /** Resolves the current poll's wait when an answer (a frame) arrives. */
  private answered: (() => void) | undefined;

  constructor(
    private readonly options: SerialOptions & { device: string },
    private readonly ctx: AdapterContext,
    private readonly events: PortEvents,
  ) {
    this.backoff = new Backoff({ initialMs: options.reconnect_min, maxMs: options.reconnect_max });
    abortWith(ctx.signal, this.abort);
  }

  /** Resolves once the first open attempt ended (up or down); reopening goes on in the background. */
  async start(): Promise<void> {
    const { SerialPort } = await import("serialport");
    let firstAttempt: () => void = () => {};
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.loop = this.run(SerialPort, firstAttempt);
    await attempted;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.loop;
  }

  pause(): void {
    this.port?.pause();
  }

  resume(): void {
    this.port?.resume();
  }

  /** A frame arrived: it answers the poll in flight, if any. */
  frameReceived(): void {
    this.answered?.();
  }

  private async run(SerialPortClass: typeof SerialPort, firstAttempt: () => void): Promise<void> {
    const signal = this.abort.signal;
    const path = this.options.device;
    while (!signal.aborted) {
      this.ctx.status("connecting", `opening ${path}`);
      const reason = await this.openOnce(SerialPortClass, firstAttempt);
      firstAttempt();
      if (signal.aborted) break;
      const wait = this.backoff.next();
      this.ctx.status("down", `${reason}; reopening in ${wait} ms`);
      this.ctx.log.info(`${reason}; reopening in ${wait} ms`);
      await sleep(wait, signal);
    }
    firstAttempt();
  }

  /** One life of the port: resolves with why it ended. */
  private openOnce(SerialPortClass: typeof SerialPort, opened: () => void): Promise<string> {
    const o = this.options;
    return new Promise((resolve) => {
      const port = new SerialPortClass({
        path: o.device,
        baudRate: o.baud,
        dataBits: o.data_bits,
        parity: o.parity,
        stopBits: o.stop_bits,
        rtscts: o.rtscts,
        xon: o.xon,
        xoff: o.xon,
        autoOpen: false,
      });
      let settled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const lifetime = new AbortController();
      const finish = (reason: string) => {
        if (settled) return;
        settled = true;
        lifetime.abort();
        clearInterval(watchdog);
        this.answered?.();
        if (this.port === port) this.port = undefined;
        if (!port.isOpen) return resolve(reason);
        port.close(() => resolve(reason));
        // A close that never calls back (a USB node gone mid-call) must not stop the reopening.
        setTimeout(() => resolve(reason), CLOSE_DEADLINE_MS).unref();
      };
      const stopped = () => finish("stopped");
      this.abort.signal.addEventListener("abort", stopped, { once: true });
      lifetime.signal.addEventListener("abort", () => this.abort.signal.removeEventListener("abort", stopped), { once: true });
      port.open((error) => {
        if (error) return finish(describeSerialOpenError(error, o.device));
        // stop() came while the port was opening: this life already ended, and the port it could
        // not close then must be closed now, or the device stays locked.
        if (settled) {
          port.close(() => {});
          return;
        }
        this.port = port;
        this.events.opened();
        this.ctx.status("up", `${o.device} open at ${o.baud} baud`);
        opened();
        watchdog = setInterval(() => {
          stat(o.device).catch(() => finish(`${o.device}: device disappeared (unplugged?)`));
        }, DEVICE_CHECK_MS);
        watchdog.unref();
        void this.talk(port, lifetime.signal).catch((talkError: Error) => finish(`${o.device}: write failed: ${talkError.message}`));
      });
      let heard = false;
      port.on("data", (chunk: Buffer) => {
        // Only a port that delivers data resets the backoff: one that opens and fails at once must
        // not be reopened twice a second.
        if (!heard) {
          heard = true;
          this.backoff.reset();
        }
        this.events.data(chunk);
      });
      // A read error on an open port (EIO when a USB adapter or a pty goes away) ends this life of it.
      port.on("error", (error: Error) => finish(`${o.device}: ${error.message}`));
      port.on("close", (error?: Error & { disconnected?: boolean }) =>
        finish(error?.disconnected ? `${o.device}: device disconnected` : `${o.device}: port closed`),
      );
    });
  }

  /** The init strings, then the poll loop (if any), for as long as this port is open. */
  private async talk(port: SerialPort, signal: AbortSignal): Promise<void> {
    for (const text of this.options.init) {
      if (signal.aborted) return;
      await write(port, text);
      this.ctx.count("init_writes");
    }
    const poll = this.options.poll;
    if (!poll) return;
    let silent = false;
    while (!signal.aborted) {
      const started = performance.now();
      const answer = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), poll.timeout);
        this.answered = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      await write(port, poll.write);
      this.ctx.count("polls");
      const ok = await answer;
      this.answered = undefined;
      if (signal.aborted) return;
      if (!ok) {
        this.ctx.count("poll_timeouts");
        if (!silent) this.ctx.status("down", `${this.options.device}: no answer to the poll within ${poll.timeout} ms`);
        silent = true;
      } else if (silent) {
        silent = false;
        this.ctx.status("up", `${this.options.device} answering polls`);
      }
      await sleep(poll.interval - (performance.now() - started), signal);
    }
  }
}

function write(port: SerialPort, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(Buffer.from(text, "latin1"), (error) => (error ? reject(error) : resolve()));
  });
}
