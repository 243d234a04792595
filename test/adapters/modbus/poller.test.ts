/**
 * Poller behaviour the other suites do not reach: SunSpec discovery behind a gateway whose device
 * is not answering yet, a point larger than the device's read limit, string lengths, and an
 * interval change that must not wait for the old tick.
 */
import { describe, expect, it } from "vitest";
import { decodeRegisters } from "../../../adapters/modbus/decode.js";
import modbus from "../../../adapters/modbus/index.js";
import type { ModbusTestServer, UnitImage } from "./modbus-test-server.js";
import { servedModbus } from "./served.js";

const served = servedModbus({ id: "pv", interval: "100ms" });
let server: ModbusTestServer;
const start = (options: Record<string, unknown>) => served.start(options);

const ascii = (text: string, registers: number) => {
  const b = Buffer.alloc(registers * 2);
  b.write(text, "latin1");
  return Array.from({ length: registers }, (_, i) => b.readUInt16BE(i * 2));
};

/** SunS at 40000, a common model (1) with Mn "Acme" and DA 7, then the end marker. */
function layOutCommon(image: UnitImage) {
  image.set("holding", 40000, [0x5375, 0x6e53, 1, 66]);
  image.set("holding", 40004, ascii("Acme", 16)); // Mn
  image.set("holding", 40004 + 16, ascii("Inverter 5k", 16)); // Md
  image.set("holding", 40004 + 64, [7]); // DA
  image.set("holding", 40004 + 66, [0xffff, 0]);
}

describe("SunSpec discovery", () => {
  it("behind a gateway whose device does not answer yet (exception 11), retries instead of concluding 'no SunSpec'", async () => {
    server = await served.serve("tcp");
    layOutCommon(server.unit(1));
    for (const base of [40000, 0, 50000]) server.exceptionAt(1, "holding", base, 11);
    const { harness } = await start({ reconnect_min: "100ms", reconnect_max: "200ms", devices: [{ unit_id: 1, sunspec: true }] });
    await expect.poll(() => harness.counters.get("device_timeouts") ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    server.exceptions.clear(); // the inverter behind the gateway wakes up
    await expect.poll(() => harness.points.some((p) => p.metric === "common.Mn" && p.value === "Acme"), { timeout: 5000 }).toBe(true);
    expect(harness.counters.get("sunspec_not_found")).toBeUndefined();
  });

  it("a model point larger than max_registers_per_read is left out with a warning; the rest is polled", async () => {
    server = await served.serve("tcp");
    layOutCommon(server.unit(1));
    const { harness } = await start({ devices: [{ unit_id: 1, name: "inv", sunspec: true, max_registers_per_read: 8 }] });
    await expect.poll(() => harness.points.filter((p) => p.metric === "inv.common.DA").length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(harness.points.find((p) => p.metric === "inv.common.DA")?.value).toBe(7);
    expect(harness.counters.get("poll_loop_failures")).toBeUndefined();
    const warning = harness.log.lines.find((l) => l.message.startsWith("points larger than max_registers_per_read"));
    expect(warning?.fields).toMatchObject({ device: "inv", max_registers_per_read: 8 });
    expect(String(warning?.fields?.points)).toContain("common.Mn (16)");
  });
});

describe("register maps", () => {
  it("refuses at validation a point that cannot fit in one read of the device", () => {
    expect(() =>
      modbus.options.parse({
        url: "tcp://h",
        devices: [{ unit_id: 1, max_registers_per_read: 16, points: [{ name: "label", address: 0, type: "string", length: 40 }] }],
      }),
    ).toThrow(/label: 20 registers do not fit in one read of at most 16 \(max_registers_per_read\)/);
  });

  it("a string of odd length stops at its length (the low byte of its last register belongs to the next field)", async () => {
    expect(decodeRegisters(ascii("ABCDEFGH", 4), "string", "ABCD", 0, 7)).toBe("ABCDEFG");
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, ascii("SN1234X\x05", 4)); // 0x05: the next field
    const { harness } = await start({ devices: [{ unit_id: 1, points: [{ name: "serial", address: 0, type: "string", length: 7 }] }] });
    await harness.waitForPoints(1);
    expect(harness.points[0].value).toBe("SN1234X");
  });
});

describe("configure", () => {
  it("a shorter interval takes effect at once, not after the old interval ran out", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [5]);
    const { harness, adapter } = await start({ interval: "1h", devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }] });
    await harness.waitForPoints(1);
    await adapter.configure!({ interval: "50ms" });
    await harness.waitForPoints(5, 2000);
  });
});
