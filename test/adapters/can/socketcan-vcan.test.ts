/**
 * The socketcan transport with the real native module on a real (virtual) CAN interface. Runs by
 * itself where vcan0 exists and the socketcan package built; create it (as root) with:
 *   modprobe vcan && ip link add dev vcan0 type vcan && ip link set up vcan0
 * This machine's kernel has no AF_CAN, so here it is skipped (the reason is printed in the name).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import can from "../../../adapters/can/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const hasVcan0 = existsSync("/sys/class/net/vcan0");
const hasModule = (() => {
  try {
    createRequire(import.meta.url).resolve("socketcan");
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasVcan0 || !hasModule)(
  `socketcan on vcan0 (${hasVcan0 ? "" : "skipped: no vcan0 interface on this machine; "}${hasModule ? "" : "skipped: socketcan package not installed"})`,
  () => {
    it("receives frames another socket sends on vcan0 and decodes them with the DBC", async () => {
      const socketcan = createRequire(import.meta.url)("socketcan");
      const sender = socketcan.createRawChannel("vcan0");
      sender.start();
      const harness = new AdapterHarness({ configDir: `${import.meta.dirname}/../../fixtures/can` });
      const adapter = harness.create(can, {
        interface: "socketcan",
        channel: "vcan0",
        dbc: "cantools_dbc/socialledge.dbc",
        raw: "unknown",
      });
      await adapter.start();
      sender.send({ id: 0x1f4, ext: false, rtr: false, data: Buffer.from([1, 2, 3, 4]) });
      sender.send({ id: 0x123456, ext: true, rtr: false, data: Buffer.from([0xab]) });
      await harness.waitForPoints(6);
      await adapter.stop();
      sender.stop();
      expect(harness.points.find((p) => p.metric === "IO_DEBUG.IO_DEBUG_test_signed")).toMatchObject({ value: 3, tags: { bus: "vcan0" } });
      expect(harness.points.find((p) => p.metric === "raw.00123456")?.value).toBe("AB");
    });
  },
);
