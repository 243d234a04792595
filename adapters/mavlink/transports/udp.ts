/**
 * UDP: `udp://0.0.0.0:14550` listens (a vehicle or MAVProxy sends to us; we answer whoever sent
 * last), `udpout://host:port` sends to a vehicle that listens (it answers to our source port).
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { Logger } from "../../../src/log.js";
import { applyReceiveBuffer, cappedMessage, type ReceiveBufferGrant } from "../../../src/socket-buffer.js";
import type { Transport, TransportEvents } from "./transport.js";

export class UdpTransport implements Transport {
  readonly description: string;
  private socket: Socket | undefined;
  private peer: { address: string; port: number } | undefined;
  /** The receive buffer the kernel granted, once bound. */
  receiveBuffer: ReceiveBufferGrant | undefined;

  constructor(
    private readonly mode: "listen" | "connect",
    private readonly host: string,
    private readonly port: number,
    private readonly log: Logger,
    /** SO_RCVBUF to ask for, bytes: datagrams wait there while the event loop is busy. */
    private readonly receiveBufferBytes = 0,
  ) {
    this.description = `${mode === "listen" ? "udp" : "udpout"} ${host}:${port}`;
    if (mode === "connect") this.peer = { address: host, port };
  }

  /** The address we listen on (port 0 in tests picks a free one). */
  get localPort(): number | undefined {
    return this.socket?.address().port;
  }

  async start(events: TransportEvents): Promise<void> {
    // No SO_REUSEADDR: a second listener on the port (QGC, MAVProxy) must be an error, not a silent split of the datagrams.
    const socket = createSocket({ type: isIPv6(this.host) ? "udp6" : "udp4" });
    this.socket = socket;
    socket.on("message", (message, remote) => {
      if (this.mode === "listen") this.peer = { address: remote.address, port: remote.port };
      else if (remote.port !== this.peer?.port) return; // only the vehicle we talk to
      events.data(message, true);
    });
    socket.on("error", (error) => {
      // A send to a peer that went away (ICMP unreachable) must not end the listener.
      this.log.warn("udp socket error", { error: error.message });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      const address = this.mode === "listen" ? this.host : undefined;
      socket.bind(this.mode === "listen" ? this.port : 0, address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (this.receiveBufferBytes > 0) {
      const grant = applyReceiveBuffer(
        this.receiveBufferBytes,
        (bytes) => socket.setRecvBufferSize(bytes),
        () => socket.getRecvBufferSize(),
      );
      this.receiveBuffer = grant;
      if (grant.capped) this.log.warn(cappedMessage(this.description, grant));
      else this.log.debug("udp receive buffer", { bytes: grant.granted });
    }
    events.status("up", this.mode === "listen" ? `listening on ${this.host}:${this.localPort}` : `sending to ${this.host}:${this.port}`);
  }

  send(frame: Uint8Array): boolean {
    if (!this.socket || !this.peer) return false;
    this.socket.send(frame, this.peer.port, this.peer.address);
    return true;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
