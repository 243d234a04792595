/** The UDP reader thread's own bounds: what the main thread has not taken yet is capped, and every datagram over the cap is counted. */
import { afterEach, describe, expect, it } from "vitest";
import { receiveBufferGrant } from "../src/socket-buffer.js";
import { UdpReaderThread } from "../src/udp-reader.js";
import { blastWhileBlocked } from "./helpers/udp-blast.js";

const readers: UdpReaderThread[] = [];
afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("UdpReaderThread", () => {
  it("drops and counts what exceeds the backlog while the main thread is blocked; received + dropped = sent", async () => {
    let received = 0;
    let dropped = 0;
    const reader = await UdpReaderThread.open(
      // 24-byte records (a 20-byte datagram + its length): about 200 fit in 5,000 bytes.
      { type: "udp4", address: "127.0.0.1", port: 0, receiveBufferBytes: 4 * 1024 * 1024, backlogLimitBytes: 5000 },
      {
        datagram: () => received++,
        peer: () => {},
        dropped: (n) => {
          dropped += n;
        },
        warning: () => {},
        failed: (message) => {
          throw new Error(message);
        },
      },
    );
    readers.push(reader);
    blastWhileBlocked(reader.port, 3000, 10);
    await until(() => received + dropped === 3000, "3,000 datagrams accounted for");
    expect(dropped).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(Math.ceil(5000 / 24));
  });

  it("a port in use is a start error, not a thread left running", async () => {
    const events = { datagram() {}, peer() {}, dropped() {}, warning() {}, failed() {} };
    const first = await UdpReaderThread.open(
      { type: "udp4", address: "127.0.0.1", port: 0, receiveBufferBytes: 0, backlogLimitBytes: 1 << 20 },
      events,
    );
    readers.push(first);
    await expect(
      UdpReaderThread.open(
        { type: "udp4", address: "127.0.0.1", port: first.port, receiveBufferBytes: 0, backlogLimitBytes: 1 << 20 },
        events,
      ),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("receive buffer grants", () => {
  it("undoes Linux's doubling and says when the grant falls short", () => {
    if (process.platform !== "linux") return;
    expect(receiveBufferGrant(4 << 20, 8 << 20)).toEqual({ requested: 4 << 20, granted: 4 << 20, capped: false });
    expect(receiveBufferGrant(8 << 20, 425_984)).toEqual({ requested: 8 << 20, granted: 212_992, capped: true });
  });
});
