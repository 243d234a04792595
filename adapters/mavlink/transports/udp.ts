/**
 * UDP: `udp://0.0.0.0:14550` listens (a vehicle or MAVProxy sends to us; we answer whoever sent
 * last), `udpout://host:port` sends to a vehicle that listens (it answers to our source port).
 * The socket is read on its own thread (src/udp-reader.ts): a datagram socket cannot be paused,
 * and what arrives while the main event loop is busy must not overflow in the kernel.
 */
import { isIPv6 } from "node:net";
import type { Logger } from "../../../src/log.js";
import { cappedMessage, type ReceiveBufferGrant } from "../../../src/socket-buffer.js";
import { UdpReaderThread } from "../../../src/udp-reader.js";
import type { Transport, TransportEvents } from "./transport.js";

/** Datagrams read and waiting for the main thread beyond this are dropped, and counted. */
const BACKLOG_LIMIT_BYTES = 64 * 1024 * 1024;
/** At most one log line about backlog drops per this many ms (they are all counted). */
const DROP_LOG_INTERVAL_MS = 10_000;

export class UdpTransport implements Transport {
  readonly description: string;
  private reader: UdpReaderThread | undefined;
  private peer: { address: string; port: number } | undefined;
  private droppedUnlogged = 0;
  private dropLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly mode: "listen" | "connect",
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
    /** SO_RCVBUF to ask for, bytes (0: the kernel's default): datagrams wait there while the reader is descheduled. */
    private readonly receiveBufferBytes = 0,
  ) {
    this.description = `${mode === "listen" ? "udp" : "udpout"} ${host}:${port}`;
    if (mode === "connect") this.peer = { address: host, port };
  }

  /** The address we listen on (port 0 in tests picks a free one). */
  get localPort(): number | undefined {
    return this.reader?.port;
  }

  /** The receive buffer the kernel granted, once bound. */
  get receiveBuffer(): ReceiveBufferGrant | undefined {
    return this.reader?.receiveBuffer;
  }

  async start(events: TransportEvents): Promise<void> {
    const listening = this.mode === "listen";
    // No SO_REUSEADDR: a second listener on the port (QGC, MAVProxy) must be an error, not a silent split of the datagrams.
    this.reader = await UdpReaderThread.open(
      {
        type: isIPv6(this.host) ? "udp6" : "udp4",
        address: listening ? this.host : undefined,
        port: listening ? this.port : 0,
        receiveBufferBytes: this.receiveBufferBytes,
        onlyFromPort: listening ? undefined : this.port, // only the vehicle we talk to
        backlogLimitBytes: BACKLOG_LIMIT_BYTES,
      },
      {
        datagram: (data) => events.data(data, true),
        peer: (peer) => {
          if (listening) this.peer = peer;
        },
        dropped: (count) => {
          events.count?.("udp_backlog_dropped", count);
          this.droppedUnlogged += count;
          if (performance.now() - this.dropLoggedAt < DROP_LOG_INTERVAL_MS) return;
          this.dropLoggedAt = performance.now();
          this.log.warn("the bridge fell too far behind the UDP stream: datagrams dropped (counted as udp_backlog_dropped)", {
            dropped: this.droppedUnlogged,
          });
          this.droppedUnlogged = 0;
        },
        // A send to a peer that went away (ICMP unreachable) must not end the listener.
        warning: (message) => this.log.warn("udp socket error", { error: message }),
        failed: (message) => events.status("down", `udp reader thread failed: ${message}`),
      },
    );
    const grant = this.reader.receiveBuffer;
    if (grant?.capped) this.log.warn(cappedMessage(this.description, grant));
    else if (grant) this.log.debug("udp receive buffer", { bytes: grant.granted });
    events.status("up", listening ? `listening on ${this.host}:${this.localPort}` : `sending to ${this.host}:${this.port}`);
  }

  send(frame: Uint8Array): boolean {
    if (!this.reader || !this.peer) return false;
    this.reader.send(frame, this.peer.port, this.peer.address);
    return true;
  }

  async stop(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }
}
