/**
 * TCP client (`tcp://host:5760`: SITL, MAVProxy, a telemetry radio bridge). Reconnects with
 * capped backoff for as long as the adapter runs.
 */
import { connect, type Socket } from "node:net";
import { Backoff, sleep } from "../../../src/backoff.js";
import type { Logger } from "../../../src/log.js";
import type { Transport, TransportEvents } from "./transport.js";

export class TcpTransport implements Transport {
  readonly description: string;
  private socket: Socket | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.2 });
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
  ) {
    this.description = `tcp ${host}:${port}`;
  }

  async start(events: TransportEvents): Promise<void> {
    this.loop = this.run(events);
  }

  private async run(events: TransportEvents) {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      events.status("connecting", `${this.host}:${this.port}`);
      const error = await this.connectOnce(events);
      if (signal.aborted) break;
      const wait = this.backoff.next();
      events.status("down", `${error}; retrying in ${wait} ms`);
      await sleep(wait, signal);
    }
  }

  /** Resolves with the reason when the connection fails or ends. */
  private connectOnce(events: TransportEvents): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.host, port: this.port });
      this.socket = socket;
      let reason = "connection closed";
      socket.setNoDelay(true);
      let heard = false;
      socket.on("connect", () => {
        socket.setKeepAlive(true, 5000);
        events.reset();
        events.status("up", `connected to ${this.host}:${this.port}`);
      });
      socket.on("data", (chunk) => {
        // Only a connection that carries data resets the backoff: a port that accepts and hangs up at
        // once (a bridge whose serial side is gone, a proxy without upstream) must not be redialled twice a second.
        if (!heard) {
          heard = true;
          this.backoff.reset();
        }
        events.data(chunk, false);
      });
      socket.on("error", (error) => {
        reason = error.message;
      });
      socket.on("close", () => {
        if (this.socket === socket) this.socket = undefined;
        resolve(reason);
      });
    });
  }

  send(frame: Uint8Array): boolean {
    if (!this.socket || this.socket.connecting || this.socket.destroyed) return false;
    this.socket.write(frame);
    return true;
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.socket?.destroy();
    await this.loop;
    this.log.debug("tcp transport stopped");
  }
}
