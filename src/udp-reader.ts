/**
 * A UDP socket read on its own thread. A datagram socket cannot be paused: while the main event
 * loop is busy (spool I/O, frame encoding, a major GC, a machine short of CPU) the kernel holds
 * what arrives in the socket's receive buffer and, once that is full, drops the rest without a
 * trace the bridge could count. Here a worker thread that does nothing else reads the socket at
 * once and hands the datagrams to the main thread in batches (one transferred buffer per turn of
 * its loop), so a stalled main loop only delays them. What waits for the main thread is bounded
 * (`backlogLimitBytes`); beyond that, datagrams are dropped and counted, visibly.
 */
import { Worker } from "node:worker_threads";
import { type ReceiveBufferGrant, receiveBufferGrant } from "./socket-buffer.js";

export interface UdpReaderOptions {
  type: "udp4" | "udp6";
  /** Bind address (undefined: any) and port (0: a free one). */
  address?: string;
  port: number;
  /** SO_RCVBUF to ask for; 0 keeps the kernel's default. */
  receiveBufferBytes: number;
  /** Keep only datagrams from this port (udpout: the vehicle we talk to). */
  onlyFromPort?: number;
  /** Bytes read and not yet handled by the main thread beyond which datagrams are dropped (and counted). */
  backlogLimitBytes: number;
}

export interface UdpPeer {
  address: string;
  port: number;
}

export interface UdpReaderEvents {
  /** One datagram; `data` stays valid after the call (it is a view of a buffer nobody reuses). */
  datagram(data: Uint8Array): void;
  /** The sender of the last datagram of the batch that follows. */
  peer(peer: UdpPeer): void;
  /** Datagrams dropped because the main thread fell `backlogLimitBytes` behind. */
  dropped(count: number): void;
  /** A socket error after binding (e.g. ICMP unreachable after a send): the socket stays open. */
  warning(message: string): void;
  /** The reader thread died (a bug): no more datagrams will come. */
  failed(message: string): void;
}

type FromThread =
  | { kind: "bound"; port: number; receiveBuffer: number }
  | { kind: "bind_error"; message: string }
  | { kind: "data"; data: Uint8Array; peer?: UdpPeer; dropped: number }
  | { kind: "warning"; message: string }
  | { kind: "closed" };

/**
 * The thread's code. It runs from its source text in a worker (eval), which works the same under
 * tsx, vitest and the compiled package; so it must use nothing from this module's scope, and
 * loads what it needs with the `require` it is given.
 */
function readerThread(require: NodeJS.Require): void {
  const { parentPort, workerData } = require("node:worker_threads") as typeof import("node:worker_threads");
  const { createSocket } = require("node:dgram") as typeof import("node:dgram");
  const options = workerData.options as UdpReaderOptions;
  // Bytes posted to the main thread and not yet handled there (the main thread subtracts).
  const backlog = new Int32Array(workerData.backlog as SharedArrayBuffer);
  const port = parentPort!;
  const socket = createSocket({ type: options.type });
  let bound = false;
  let datagrams: Buffer[] = [];
  let bytes = 0;
  let dropped = 0;
  let peer: UdpPeer | undefined;
  let flushScheduled = false;

  // Everything read in one turn of this thread's loop goes over as one buffer of
  // [u32 length][bytes] records, transferred (not copied) to the main thread.
  const flush = () => {
    flushScheduled = false;
    if (datagrams.length === 0 && dropped === 0) return;
    const data = new Uint8Array(bytes);
    const view = new DataView(data.buffer);
    let at = 0;
    for (const datagram of datagrams) {
      view.setUint32(at, datagram.length, true);
      data.set(datagram, at + 4);
      at += 4 + datagram.length;
    }
    Atomics.add(backlog, 0, bytes);
    port.postMessage({ kind: "data", data, peer, dropped }, [data.buffer]);
    datagrams = [];
    bytes = 0;
    dropped = 0;
    peer = undefined;
  };

  socket.on("message", (message, remote) => {
    if (options.onlyFromPort !== undefined && remote.port !== options.onlyFromPort) return;
    if (Atomics.load(backlog, 0) + bytes + message.length + 4 > options.backlogLimitBytes) {
      dropped++;
    } else {
      datagrams.push(message);
      bytes += message.length + 4;
      peer = { address: remote.address, port: remote.port };
    }
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });
  socket.on("error", (error) => {
    port.postMessage(bound ? { kind: "warning", message: error.message } : { kind: "bind_error", message: error.message });
  });
  port.on("message", (message: { kind: "send"; data: Uint8Array; port: number; address: string } | { kind: "close" }) => {
    if (message.kind === "send") socket.send(message.data, message.port, message.address);
    else
      socket.close(() => {
        port.postMessage({ kind: "closed" });
        port.close();
      });
  });
  socket.bind(options.port, options.address, () => {
    bound = true;
    if (options.receiveBufferBytes > 0) socket.setRecvBufferSize(options.receiveBufferBytes);
    port.postMessage({ kind: "bound", port: socket.address().port, receiveBuffer: socket.getRecvBufferSize() });
  });
}

/** Datagrams handed to the adapter per turn of the main event loop (a few milliseconds of work at most). */
const DATAGRAMS_PER_TURN = 500;

// esbuild (tsx, vitest) may wrap named functions in a `__name` helper of the enclosing module; the
// thread has no such module, so it gets a stand-in.
const THREAD_SOURCE = `const __name = (target) => target;\n(${readerThread.toString()})(require);`;

export class UdpReaderThread {
  private readonly worker: Worker;
  private readonly backlog = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Batches from the thread not yet handed to the adapter; `at`: the next record's offset. */
  private readonly batches: { data: Uint8Array; at: number; peer?: UdpPeer }[] = [];
  private handling = false;
  /** The port bound (a free one when asked for 0). */
  port = 0;
  receiveBuffer: ReceiveBufferGrant | undefined;

  private constructor(
    options: UdpReaderOptions,
    private readonly events: UdpReaderEvents,
  ) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { options, backlog: this.backlog.buffer } });
  }

  /** Binds the socket on its thread; rejects with the bind error (EADDRINUSE…). */
  static open(options: UdpReaderOptions, events: UdpReaderEvents): Promise<UdpReaderThread> {
    const reader = new UdpReaderThread(options, events);
    return new Promise((resolve, reject) => {
      const worker = reader.worker;
      worker.on("message", (message: FromThread) => {
        if (message.kind === "bound") {
          reader.port = message.port;
          if (options.receiveBufferBytes > 0) reader.receiveBuffer = receiveBufferGrant(options.receiveBufferBytes, message.receiveBuffer);
          resolve(reader);
        } else if (message.kind === "bind_error") {
          reader.closed = true;
          void worker.terminate();
          reject(new Error(message.message));
        } else {
          reader.onMessage(message);
        }
      });
      worker.on("error", (error) => {
        reject(error);
        if (!reader.closed) events.failed(error.message);
        reader.closed = true;
      });
    });
  }

  send(data: Uint8Array, port: number, address: string): void {
    if (!this.closed) this.worker.postMessage({ kind: "send", data, port, address });
  }

  /** Closes the socket and ends the thread. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const worker = this.worker;
    this.closing = new Promise<void>((resolve) => {
      if (this.closed) return void worker.terminate().then(() => resolve());
      this.closed = true;
      // A thread that does not answer within a second is ended anyway.
      const timer = setTimeout(() => void worker.terminate(), 1000);
      worker.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ kind: "close" });
    });
    return this.closing;
  }

  private onMessage(message: FromThread): void {
    if (message.kind === "warning") {
      this.events.warning(message.message);
      return;
    }
    if (message.kind !== "data") return;
    if (message.dropped > 0) this.events.dropped(message.dropped);
    this.batches.push({ data: message.data, at: 0, peer: message.peer });
    if (!this.handling) {
      this.handling = true;
      setImmediate(this.handleSome);
    }
  }

  /**
   * Hands at most DATAGRAMS_PER_TURN datagrams to the adapter, then gives the event loop a turn:
   * after a stall the backlog is worked off in slices, between the uplink's own work, rather than
   * in one long task that would stall everything else in turn.
   */
  private readonly handleSome = () => {
    let budget = DATAGRAMS_PER_TURN;
    let handledBytes = 0;
    try {
      while (budget > 0 && this.batches.length > 0) {
        const batch = this.batches[0];
        const { data } = batch;
        // Before the batch's datagrams: a reply the adapter sends while handling them goes to their sender.
        if (batch.at === 0 && batch.peer) this.events.peer(batch.peer);
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        while (budget > 0 && batch.at < data.length) {
          const length = view.getUint32(batch.at, true);
          const datagram = data.subarray(batch.at + 4, batch.at + 4 + length);
          batch.at += 4 + length;
          handledBytes += 4 + length;
          budget--;
          this.events.datagram(datagram);
        }
        if (batch.at >= data.length) this.batches.shift();
      }
    } finally {
      Atomics.sub(this.backlog, 0, handledBytes);
      if (this.batches.length > 0 && !this.closed) setImmediate(this.handleSome);
      else this.handling = false;
    }
  };
}
