/**
 * Polls the in-process Modbus TCP server (modbus-test-server.ts) through the whole adapter and
 * checks every decoded value: every numeric type in all four byte orders, strings, bits, bools,
 * coils and discrete inputs, scale/offset, value maps, units and address bases. The server's
 * registers are laid out here by explicit byte permutations, not with the adapter's encoder.
 */
import { describe, expect, it } from "vitest";
import modbus, { type ModbusAdapter } from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import type { ModbusTestServer } from "./modbus-test-server.js";
import { servedModbus } from "./served.js";

type Order = "ABCD" | "CDAB" | "BADC" | "DCBA";
const ORDERS: Order[] = ["ABCD", "CDAB", "BADC", "DCBA"];

/** Where byte i of the device's layout comes from in the big-endian bytes, per notation. */
function permutation(order: Order, n: number): number[] {
  const identity = Array.from({ length: n }, (_, i) => i);
  switch (order) {
    case "ABCD":
      return identity;
    case "DCBA":
      return identity.reverse();
    case "BADC":
      return identity.map((i) => i ^ 1);
    case "CDAB":
      // registers reversed, bytes inside each kept
      return identity.map((i) => (n / 2 - 1 - (i >> 1)) * 2 + (i & 1));
  }
}

function wireWords(bigEndian: Buffer, order: Order): number[] {
  const perm = permutation(order, bigEndian.length);
  const laid = Buffer.from(perm.map((from) => bigEndian[from]));
  return Array.from({ length: laid.length / 2 }, (_, i) => laid.readUInt16BE(i * 2));
}

interface Case {
  type: string;
  value: number;
  bytes: (b: Buffer) => void;
  size: number;
}
const CASES: Case[] = [
  { type: "int16", value: -12345, size: 2, bytes: (b) => b.writeInt16BE(-12345) },
  { type: "uint16", value: 54321, size: 2, bytes: (b) => b.writeUInt16BE(54321) },
  { type: "int32", value: -123456789, size: 4, bytes: (b) => b.writeInt32BE(-123456789) },
  { type: "uint32", value: 3_000_000_000, size: 4, bytes: (b) => b.writeUInt32BE(3_000_000_000) },
  { type: "int64", value: -9007199254740991, size: 8, bytes: (b) => b.writeBigInt64BE(-9007199254740991n) },
  { type: "uint64", value: 9007199254740991, size: 8, bytes: (b) => b.writeBigUInt64BE(9007199254740991n) },
  { type: "float32", value: 1234.56, size: 4, bytes: (b) => b.writeFloatBE(1234.56) },
  { type: "float64", value: -98765.4321012345, size: 8, bytes: (b) => b.writeDoubleBE(-98765.4321012345) },
];

const served = servedModbus({ id: "plc", interval: "200ms" });
let server: ModbusTestServer;
const startAgainst = (devices: unknown[], extra: Record<string, unknown> = {}) => served.start({ devices, ...extra });

describe("modbus over TCP: every type and byte order", () => {
  it("decodes every value the server holds", async () => {
    server = await served.serve("tcp");
    const image = server.unit(1);
    const points: Record<string, unknown>[] = [];
    const expected = new Map<string, number | string | boolean>();
    let address = 100;
    for (const c of CASES) {
      for (const order of ORDERS) {
        const bytes = Buffer.alloc(c.size);
        c.bytes(bytes);
        // (For 16-bit values the permutations leave only the byte swap: CDAB is ABCD, DCBA is BADC.)
        image.set("holding", address, wireWords(bytes, order));
        const name = `${c.type}_${order}`;
        points.push({ name, address, type: c.type, byte_order: order });
        expected.set(name, c.value);
        address += c.size / 2 + 1; // a one-register hole between points: the planner must bridge it
      }
    }
    // The big/little + word_order notation means the same thing.
    expect(address).toBe(212);
    image.set("holding", 215, wireWords(Buffer.from([0x41, 0x20, 0, 0]), "CDAB"));
    points.push({ name: "float_word_little", address: 215, type: "float32", byte_order: "big", word_order: "little" });
    expected.set("float_word_little", 10);
    // A string, a bool from a register, a bit of a register, scale/offset with a unit, a labelled code.
    image.set("holding", 300, [0x5344, 0x4d36, 0x3330, 0x2d4d, 0x0000]); // "SDM630-M"
    points.push({ name: "model", address: 300, type: "string", length: 10 });
    expected.set("model", "SDM630-M");
    image.set("holding", 310, [7]);
    points.push({ name: "running", address: 310, type: "bool" });
    expected.set("running", true);
    image.set("holding", 311, [0b0010_0000]);
    points.push({ name: "alarm_bit5", address: 311, type: "bit", bit: 5 });
    points.push({ name: "alarm_bit4", address: 311, type: "bit", bit: 4 });
    expected.set("alarm_bit5", true);
    expected.set("alarm_bit4", false);
    image.set("holding", 312, [2345]);
    points.push({ name: "temperature", address: 312, type: "int16", scale: 0.1, offset: -40, unit: "Cel" });
    expected.set("temperature", 2345 * 0.1 - 40);
    image.set("input", 5, [3]);
    points.push({ name: "mode", table: "input", address: 5, values: { 1: "off", 2: "standby", 3: "running" } });
    expected.set("mode", "running");
    image.set("coil", 17, [true]);
    image.set("discrete", 3, [false, true]);
    points.push({ name: "pump", table: "coil", address: 17 });
    points.push({ name: "door_open", table: "discrete", address: 4 });
    expected.set("pump", true);
    expected.set("door_open", true);

    const { harness } = await startAgainst([{ unit_id: 1, points }]);
    await harness.waitForPoints(expected.size);
    const first = harness.batches[0];
    // One emit per poll, no timestamps: the pipeline stamps the batch together.
    expect(first).toHaveLength(expected.size);
    for (const point of first) expect(point.timestamp).toBeUndefined();
    const got = new Map(first.map((p) => [p.metric, p.value]));
    for (const [name, value] of expected) expect(got.get(name), name).toBe(value);
    expect(first.find((p) => p.metric === "temperature")?.tags).toEqual({ unit_id: "1", unit: "Cel" });
    // Holding 100–216 in one read (across the 1-register holes), 300–312 in a second, then input, coil, discrete.
    expect(server.requests.slice(0, 5).map((r) => [r.fc, r.address, r.count])).toEqual([
      [3, 100, 117],
      [3, 300, 13],
      [4, 5, 1],
      [1, 17, 1],
      [2, 4, 1],
    ]);
    expect(harness.states).toEqual([{ state: "connecting" }, { state: "up", detail: "link up" }]);
  });

  it("emits events on change only, and numbers every poll", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("input", 5, [1]);
    server.unit(1).set("input", 6, [500]);
    const { harness } = await startAgainst([
      {
        unit_id: 1,
        points: [
          { name: "mode", table: "input", address: 5, values: { 1: "off", 2: "on" } },
          { name: "speed", table: "input", address: 6 },
        ],
      },
    ]);
    await harness.waitForPoints(3); // mode+speed, then speed
    server.unit(1).set("input", 5, [2]);
    await expect
      .poll(() => harness.points.filter((p) => p.metric === "mode").map((p) => p.value), { timeout: 5000 })
      .toEqual(["off", "on"]);
    expect(harness.points.filter((p) => p.metric === "speed").length).toBeGreaterThanOrEqual(3);
  });

  it("polls two meters from one shared map file (relative to the config folder) in 2 requests each", async () => {
    server = await served.serve("tcp");
    const b = Buffer.alloc(4);
    for (const [unit, base] of [
      [11, 230],
      [12, 240],
    ]) {
      for (let address = 0; address < 400; address += 2) {
        b.writeFloatBE(base + address / 4);
        server.unit(unit).set("input", address, [b.readUInt16BE(0), b.readUInt16BE(2)]);
      }
    }
    const harness = new AdapterHarness({ id: "meters", configDir: new URL("../../../adapters/modbus/maps/", import.meta.url).pathname });
    const adapter = harness.create(modbus, {
      url: `tcp://127.0.0.1:${server.port}`,
      interval: "200ms",
      devices: [
        { unit_id: 11, name: "main", map: "sdm630.yaml" },
        { unit_id: 12, name: "pv", map: "sdm630.yaml" },
      ],
    }) as ModbusAdapter;
    await adapter.start();
    served.stopAfter(adapter);
    await harness.waitForPoints(72);
    const value = (metric: string) => harness.points.find((p) => p.metric === metric)?.value;
    expect(value("main.voltage_l1")).toBe(230);
    expect(value("main.frequency")).toBe(230 + 70 / 4);
    expect(value("pv.total_energy")).toBe(240 + 342 / 4);
    expect(harness.points.find((p) => p.metric === "pv.frequency")?.tags).toEqual({ unit_id: "12", unit: "Hz" });
    expect(adapter.devices.map((d) => d.lastPollRequests)).toEqual([2, 2]);
    expect(server.requests.slice(0, 4).map((r) => [r.unit, r.fc, r.address, r.count])).toContainEqual([11, 4, 0, 80]);
  });

  it("accepts 1-based and 40001-style addresses when declared", async () => {
    server = await served.serve("tcp");
    server.unit(9).set("holding", 0, [11]);
    server.unit(9).set("input", 9, [22]);
    server.unit(9).set("holding", 4, [33]);
    const { harness, adapter } = await startAgainst([
      {
        unit_id: 9,
        name: "meter",
        tags: { site: "hall1" },
        address_base: "modicon",
        points: [
          { name: "first_holding", address: 40001 },
          { name: "tenth_input", address: 30010 },
          { name: "six_digit", address: 400005 },
        ],
      },
    ]);
    await harness.waitForPoints(3);
    expect(new Map(harness.batches[0].map((p) => [p.metric, p.value]))).toEqual(
      new Map([
        ["meter.first_holding", 11],
        ["meter.six_digit", 33],
        ["meter.tenth_input", 22],
      ]),
    );
    expect(harness.batches[0][0].tags).toEqual({ site: "hall1", unit_id: "9" });
    expect(adapter.describe!()).toEqual({
      description: `Modbus tcp://127.0.0.1:${server.port}, 1 device(s)`,
      metrics: ["meter.first_holding", "meter.tenth_input", "meter.six_digit"],
      sample_rate: 5,
    });
  });

  it("rejects 1-based address 0 and a table that contradicts a modicon address at validation", () => {
    expect(() =>
      modbus.options.parse({ url: "tcp://h", devices: [{ unit_id: 1, address_base: 1, points: [{ name: "x", address: 0 }] }] }),
    ).toThrow(/below 1/);
    expect(() =>
      modbus.options.parse({
        url: "tcp://h",
        devices: [{ unit_id: 1, address_base: "modicon", points: [{ name: "x", table: "input", address: 40001 }] }],
      }),
    ).toThrow(/contradicts/);
  });
});
