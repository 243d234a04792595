/**
 * The socketcan transport with the native `socketcan` module replaced: this machine's kernel has
 * no AF_CAN (socket(PF_CAN) fails), so no real channel can open here. The fake keeps the module's
 * API (createRawChannel, addListener onMessage/onStopped, setRxFilters, start, stop) and message
 * shape ({id, ext, rtr, err, data}). The real module runs in socketcan-vcan.test.ts where vcan0 exists.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import can from "../../../adapters/can/index.js";
import { kernelFilters } from "../../../adapters/can/transport/socketcan.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

interface FakeChannel {
  name: string;
  started: boolean;
  stopped: boolean;
  filters?: { id: number; mask: number; invert?: boolean }[];
  onMessage: ((message: { id: number; ext?: boolean; rtr?: boolean; err?: boolean; data: Buffer }) => void)[];
  onStopped: (() => void)[];
}

const bus = vi.hoisted(() => ({ interfaces: new Set<string>(), channels: [] as FakeChannel[] }));

vi.mock("socketcan", () => ({
  createRawChannel(name: string) {
    // What the native module throws when the interface is missing or AF_CAN is unavailable.
    if (!bus.interfaces.has(name)) throw new Error("Error while creating channel");
    const channel: FakeChannel = { name, started: false, stopped: false, onMessage: [], onStopped: [] };
    bus.channels.push(channel);
    return {
      addListener(event: string, callback: never) {
        if (event === "onMessage") channel.onMessage.push(callback);
        else if (event === "onStopped") channel.onStopped.push(callback);
      },
      setRxFilters(filters: FakeChannel["filters"]) {
        channel.filters = filters;
      },
      start() {
        channel.started = true;
      },
      stop() {
        channel.stopped = true;
      },
    };
  },
}));

const DBC_DIR = `${import.meta.dirname}/../../fixtures/can`;
const send = (channel: FakeChannel, message: Parameters<FakeChannel["onMessage"][0]>[0]) => {
  for (const listener of channel.onMessage) listener(message);
};

describe("socketcan transport (native module replaced: no AF_CAN on this kernel)", () => {
  beforeEach(() => {
    bus.interfaces = new Set(["can0"]);
    bus.channels = [];
  });

  it("opens the channel, decodes frames, counts error frames, tags the interface", async () => {
    const harness = new AdapterHarness({ configDir: DBC_DIR });
    const adapter = harness.create(can, {
      interface: "socketcan",
      channel: "can0",
      dbc: "cantools_dbc/socialledge.dbc",
      raw: "unknown",
      health_interval: 0,
    });
    await adapter.start();
    const channel = bus.channels[0];
    expect(channel).toMatchObject({ name: "can0", started: true });
    send(channel, { id: 0x1f4, data: Buffer.from([1, 2, 3, 4]) });
    send(channel, { id: 0x12345, ext: true, data: Buffer.from([0xaa]) });
    send(channel, { id: 0x4, err: true, data: Buffer.alloc(8) });
    send(channel, { id: 0x1f3, rtr: true, data: Buffer.alloc(0) });
    await harness.waitForPoints(7);
    await adapter.stop();
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["IO_DEBUG.IO_DEBUG_test_unsigned", 1],
      ["IO_DEBUG.IO_DEBUG_test_enum", 2],
      ["IO_DEBUG.IO_DEBUG_test_enum.label", "IO_DEBUG_test2_enum_two"],
      ["IO_DEBUG.IO_DEBUG_test_signed", 3],
      ["IO_DEBUG.IO_DEBUG_test_float", 2],
      ["raw.00012345", "AA"],
      ["raw.1F3", "R"],
    ]);
    expect(harness.points.every((p) => p.tags?.bus === "can0" && p.timestamp === undefined)).toBe(true);
    expect(harness.batches).toHaveLength(1);
    expect(harness.counters.get("error_frames")).toBe(1);
    expect(channel.stopped).toBe(true);
  });

  it("sends the id filters to the kernel with the EFF flag", async () => {
    const harness = new AdapterHarness();
    const adapter = harness.create(can, {
      interface: "socketcan",
      filters: [
        { id: 0x100, mask: 0x700 },
        { id: 0x18f00400, extended: true, invert: true },
      ],
    });
    await adapter.start();
    await adapter.stop();
    expect(bus.channels[0].filters).toEqual([
      // Standard: EFF in the mask but not in the id, so extended frames never match.
      { id: 0x100, mask: 0x80000700, invert: false },
      { id: 0x98f00400, mask: 0x9fffffff, invert: true },
    ]);
    expect(kernelFilters([{ id: 0x123, extended: false, invert: false }])).toEqual([{ id: 0x123, mask: 0x800007ff, invert: false }]);
  });

  it("reports a missing interface, retries with backoff, and comes up when it appears", async () => {
    bus.interfaces = new Set();
    const harness = new AdapterHarness();
    const adapter = harness.create(can, { interface: "socketcan", channel: "vcan7", raw: "all", reconnect_min: 20, reconnect_max: 40 });
    await adapter.start();
    expect(harness.states.at(-1)?.state).toBe("down");
    expect(harness.states.at(-1)?.detail).toMatch(/vcan7: Error while creating channel .*ip link show vcan7/);
    bus.interfaces.add("vcan7");
    for (let i = 0; i < 100 && bus.channels.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    send(bus.channels[0], { id: 0x10, data: Buffer.from([1]) });
    await harness.waitForPoints(1);
    await adapter.stop();
    expect(harness.states.at(-1)?.state).toBe("up");
  });

  it("reopens the channel when the kernel reports it stopped (interface down)", async () => {
    const harness = new AdapterHarness();
    const adapter = harness.create(can, { interface: "socketcan", raw: "all", reconnect_min: 10, reconnect_max: 20 });
    await adapter.start();
    for (const listener of bus.channels[0].onStopped) listener();
    for (let i = 0; i < 100 && bus.channels.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(bus.channels[0].stopped).toBe(true);
    send(bus.channels[1], { id: 0x10, data: Buffer.from([2]) });
    await harness.waitForPoints(1);
    await adapter.stop();
    expect(harness.states.map((s) => s.state)).toEqual(["connecting", "up", "down", "up"]);
    expect(harness.counters.get("reconnects")).toBe(1);
  });

  it("sends bus health periodically on a live bus", async () => {
    const harness = new AdapterHarness();
    const adapter = harness.create(can, { interface: "socketcan", health_interval: "50ms" });
    await adapter.start();
    for (let i = 0; i < 10; i++) send(bus.channels[0], { id: 0x10 + (i % 2), data: Buffer.from([i]) });
    send(bus.channels[0], { id: 0x1, err: true, data: Buffer.alloc(8) });
    const deadline = Date.now() + 5000;
    while (!harness.points.some((p) => p.metric === "bus.frames_per_s" && (p.value as number) > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await adapter.stop();
    const health = Object.fromEntries(harness.points.filter((p) => p.metric.startsWith("bus.")).map((p) => [p.metric, p.value]));
    expect(health).toMatchObject({
      "bus.frames": 11,
      "bus.error_frames": 1,
      "bus.unknown_frames": 10,
      "bus.unknown_ids": 2,
      "bus.decode_errors": 0,
    });
    expect(harness.points.find((p) => p.metric === "bus.frames_per_s" && (p.value as number) > 0)?.tags).toEqual({ bus: "can0" });
  });
});
