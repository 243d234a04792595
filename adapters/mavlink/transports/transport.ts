/**
 * What the adapter needs of a link to a vehicle. Transports are thin: bytes in, bytes out,
 * link state, reconnecting with backoff. Framing and decoding happen above them.
 */
import type { AdapterState } from "../../../src/adapter-contract.js";

export interface TransportEvents {
  /**
   * Bytes arrived. `datagram`: the chunk is one whole UDP datagram, so a frame cut short in it
   * is truncated rather than continued by the next chunk. A returned promise is awaited by
   * transports that can wait (replay); others ignore it.
   */
  data(chunk: Uint8Array, datagram: boolean): void | Promise<void>;
  status(state: AdapterState, detail?: string): void;
  /** A new connection: partial frames from the old one must be forgotten. */
  reset(): void;
}

export interface Transport {
  /** Human description for logs and errors, e.g. "tcp 10.0.0.2:5760". */
  readonly description: string;
  start(events: TransportEvents): Promise<void>;
  /** Sends one frame to the vehicle; false when there is no one to send to yet (no peer, not connected). */
  send(frame: Uint8Array): boolean;
  /** Stream transports can stop reading while the queue is full. */
  pause?(): void;
  resume?(): void;
  stop(): Promise<void>;
}

/** Capped exponential backoff with ±20 % jitter: 0.5 s, 1 s, 2 s … 30 s. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly firstMs = 500,
    private readonly maxMs = 30_000,
  ) {}
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
  reset(): void {
    this.attempt = 0;
  }
}

/** A timer that stop() can cancel; resolves early when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when `promise` does or when the signal aborts, leaving no listener behind. */
export function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, done);
  });
}
