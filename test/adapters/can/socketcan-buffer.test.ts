/**
 * SocketCAN sockets get net.core.rmem_default (the `socketcan` package cannot set SO_RCVBUF), and
 * a CAN bus cannot be paused: when that default is small for a busy bus, the transport says so
 * once, with the sysctl that grows it. The native module is replaced (no AF_CAN on this kernel)
 * and rmem_default is injected, so the test does not depend on this machine's sysctls.
 */
import { describe, expect, it } from "vitest";
import { FrameDecoder } from "../../../adapters/can/decode.js";
import { CanRuntime } from "../../../adapters/can/runtime.js";
import { type SocketcanModule, SocketcanTransport } from "../../../adapters/can/transport/socketcan.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const fakeModule: SocketcanModule = {
  createRawChannel: () => ({ addListener() {}, setRxFilters() {}, start() {}, stop() {} }),
};

async function openWith(rmemDefault: number | undefined) {
  const harness = new AdapterHarness();
  const decoder = new FrameDecoder(
    undefined,
    { naming: "message", labels: true, raw: "all", j1939: false, exclude: [], defaults: {}, signals: {} },
    () => performance.now(),
  );
  const transport = new SocketcanTransport(
    { channel: "can0", filters: [], minMs: 10, maxMs: 20, rmemDefault: () => rmemDefault },
    new CanRuntime(decoder, harness.context, [], 0),
    harness.context,
    async () => fakeModule,
  );
  await transport.start();
  await transport.stop();
  return harness.log.lines.filter((line) => line.level === "warn").map((line) => line.message);
}

describe("socketcan receive buffer", () => {
  it("the stock 208 KiB default is named, with what it holds and the sysctl to raise it", async () => {
    const warnings = await openWith(212_992);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("net.core.rmem_default (208 KiB, about 532 frames, 67 ms of a saturated 1 Mbit/s bus)");
    expect(warnings[0]).toContain("sysctl -w net.core.rmem_default=4194304");
  });

  it("says nothing when the default is already large, or unknown", async () => {
    expect(await openWith(8 * 1024 * 1024)).toEqual([]);
    expect(await openWith(undefined)).toEqual([]);
  });
});
