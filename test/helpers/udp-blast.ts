/**
 * Sends numbered UDP datagrams from a worker thread while the test's own thread is blocked, the
 * way a busy bridge is blocked by spool I/O, frame encoding or a GC: the datagrams arrive while
 * nothing on the main event loop can read them. Datagram i carries i (u32 LE) then `padding` bytes.
 */
import { Worker } from "node:worker_threads";

const SENDER = `
const { workerData } = require("node:worker_threads");
const { createSocket } = require("node:dgram");
const { port, count, perMs, padding, done } = workerData;
const flag = new Int32Array(done);
const socket = createSocket("udp4");
let sent = 0;
let left = count;
const onSent = () => {
  if (--left === 0) Atomics.store(flag, 0, 1);
};
socket.bind(0, "127.0.0.1", () => {
  const started = Date.now();
  const more = () => {
    const due = Math.min(count, (Date.now() - started + 1) * perMs);
    for (; sent < due; sent++) {
      const datagram = Buffer.alloc(4 + padding);
      datagram.writeUInt32LE(sent, 0);
      socket.send(datagram, port, "127.0.0.1", onSent);
    }
    if (sent < count) setTimeout(more, 1);
  };
  more();
});
`;

/**
 * Sends `count` datagrams at about `perMs` a millisecond to 127.0.0.1:port, and blocks this
 * thread (a busy loop, no event loop turn) until the last has left, then `afterMs` more.
 */
export function blastWhileBlocked(port: number, count: number, perMs: number, padding = 16, afterMs = 50): void {
  const done = new SharedArrayBuffer(4);
  const flag = new Int32Array(done);
  const worker = new Worker(SENDER, { eval: true, workerData: { port, count, perMs, padding, done } });
  const deadline = Date.now() + 60_000;
  while (Atomics.load(flag, 0) === 0 && Date.now() < deadline) {
    // busy: this is the stalled event loop
  }
  const until = Date.now() + afterMs;
  while (Date.now() < until) {
    // busy
  }
  void worker.terminate();
}
