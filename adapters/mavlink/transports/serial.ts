/**
 * Serial port (`serial:///dev/ttyACM0?baud=921600`), through serialport, loaded only here. When
 * the device goes away (USB unplugged, flight controller rebooting) the port is reopened with
 * backoff until it is back.
 */
import { stat } from "node:fs/promises";
import type { SerialPort } from "serialport";
import { Backoff, sleep } from "../../../src/backoff.js";
import type { Logger } from "../../../src/log.js";
import { describeSerialOpenError } from "../../../src/serial-port-errors.js";
import type { Transport, TransportEvents } from "./transport.js";

/** How often an open port checks that its device node still exists. */
const DEVICE_CHECK_MS = 1000;

export class SerialTransport implements Transport {
  readonly description: string;
  private port: SerialPort | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.2 });
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly baud: number,
    private readonly log: Logger,
  ) {
    this.description = `serial ${path} @ ${baud}`;
  }

  async start(events: TransportEvents): Promise<void> {
    const { SerialPort } = await import("serialport");
    this.loop = this.run(SerialPort, events);
  }

  private async run(SerialPortClass: typeof SerialPort, events: TransportEvents) {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      events.status("connecting", this.path);
      const reason = await this.openOnce(SerialPortClass, events);
      if (signal.aborted) break;
      const wait = this.backoff.next();
      events.status("down", `${reason}; retrying in ${wait} ms`);
      await sleep(wait, signal);
    }
  }

  private openOnce(SerialPortClass: typeof SerialPort, events: TransportEvents): Promise<string> {
    return new Promise((resolve) => {
      const port = new SerialPortClass({ path: this.path, baudRate: this.baud, autoOpen: false });
      let settled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (reason: string) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        if (this.port === port) this.port = undefined;
        if (port.isOpen) port.close(() => {});
        resolve(reason);
      };
      port.open((error) => {
        if (error) return finish(describeSerialOpenError(error, this.path));
        // stop() came while the port was opening: it could not close it then, so close it now.
        if (this.stopping.signal.aborted) return finish("stopped");
        this.port = port;
        events.reset();
        events.status("up", `${this.path} open at ${this.baud} baud`);
        // The poller does not always report a hang-up; a device node that is gone is unplugged for sure.
        watchdog = setInterval(() => {
          stat(this.path).catch(() => finish("device disappeared"));
        }, DEVICE_CHECK_MS);
        watchdog.unref();
      });
      let heard = false;
      port.on("data", (chunk: Buffer) => {
        // Only a port that delivers data resets the backoff: one that opens and fails at once (a flaky
        // USB cable, an rfcomm node without its peer) must not be reopened twice a second.
        if (!heard) {
          heard = true;
          this.backoff.reset();
        }
        events.data(chunk, false);
      });
      // A read error on an open port (EIO when a USB adapter or a pty goes away) is the end of this
      // connection, whether or not serialport flags it as a disconnect: close and reopen.
      port.on("error", (error) => {
        if (port.isOpen) port.close(() => finish(error.message));
        else finish(error.message);
      });
      port.on("close", (error?: Error & { disconnected?: boolean }) => finish(error?.disconnected ? "device disconnected" : "port closed"));
    });
  }

  send(frame: Uint8Array): boolean {
    if (!this.port?.isOpen) return false;
    this.port.write(Buffer.from(frame));
    return true;
  }

  pause(): void {
    this.port?.pause();
  }

  resume(): void {
    this.port?.resume();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.loop;
    this.log.debug("serial transport stopped");
  }
}
