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
  /** Counts a transport-level problem under the adapter's counters (e.g. udp_backlog_dropped). */
  count?(name: string, n: number): void;
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
