/**
 * A UDP link cannot be paused: datagrams that arrive while the bridge's event loop is blocked
 * must not be lost in the kernel. A worker thread sends numbered datagrams while this thread is
 * held in a busy loop (as spool I/O, frame encoding or a GC would hold it), far more than the
 * kernel's receive buffer can keep; every one must still come out of the transport.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { UdpTransport } from "../../../adapters/mavlink/transports/udp.js";
import { MemoryLogger } from "../../helpers/adapter-harness.js";
import { blastWhileBlocked } from "../../helpers/udp-blast.js";
import { until } from "./net-helpers.js";

const transports: UdpTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.stop();
});

async function listen(log = new MemoryLogger(), receiveBuffer?: number) {
  const transport = new UdpTransport("listen", "127.0.0.1", 0, log, receiveBuffer);
  transports.push(transport);
  const seen = new Uint8Array(100_000);
  let received = 0;
  const counted = new Map<string, number>();
  await transport.start({
    data(chunk) {
      const index = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).readUInt32LE(0);
      if (seen[index] === 0) received++;
      seen[index] = 1;
    },
    status() {},
    reset() {},
    count(name, n) {
      counted.set(name, (counted.get(name) ?? 0) + n);
    },
  });
  return { transport, log, received: () => received, counted };
}

describe("MAVLink UDP while the event loop is blocked", () => {
  it("loses no datagram: 24,000 sent during a three-second stall, beyond what the kernel buffer holds, all arrive", async () => {
    // A 4 MiB buffer (the option's default; less where net.core.rmem_max caps it) holds about
    // 10,000 such datagrams: only a reader that does not wait for this thread's event loop takes 24,000.
    const rx = await listen(new MemoryLogger(), 4 * 1024 * 1024);
    blastWhileBlocked(rx.transport.localPort!, 24_000, 8);
    await until(() => rx.received() === 24_000, "24,000 datagrams", 20_000);
    expect(rx.counted.get("udp_backlog_dropped")).toBeUndefined();
  });

  it("asks for receive_buffer, reads back the grant, and names net.core.rmem_max when the kernel caps it", async () => {
    let rmemMax: number;
    try {
      rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    } catch {
      return; // not Linux: no sysctl to name
    }
    const within = await listen(new MemoryLogger(), Math.min(rmemMax, 1024 * 1024));
    expect(within.transport.receiveBuffer).toMatchObject({ capped: false, granted: Math.min(rmemMax, 1024 * 1024) });
    expect(within.log.lines.filter((l) => l.level === "warn")).toEqual([]);

    const beyond = await listen(new MemoryLogger(), rmemMax * 4);
    expect(beyond.transport.receiveBuffer).toMatchObject({ capped: true, granted: rmemMax, requested: rmemMax * 4 });
    const warning = beyond.log.lines.find((l) => l.level === "warn")!;
    expect(warning.message).toContain("net.core.rmem_max");
    expect(warning.message).toContain(`sysctl -w net.core.rmem_max=${rmemMax * 4}`);
  });
});
