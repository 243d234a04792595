import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import can from "../../../adapters/can/index.js";
import { parseSlcanLine } from "../../../adapters/can/transport/slcan-codec.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { hasSocat, NEEDS_SOCAT, type PtyPair, startPtyPair } from "../../helpers/socat.js";

describe("slcan codec", () => {
  const frame = (line: string) => {
    const parsed = parseSlcanLine(line, "slcan0");
    if (!parsed || !("frame" in parsed)) throw new Error(`not a frame: ${JSON.stringify(parsed)}`);
    return parsed;
  };

  it("reads t/T/r/R frames with and without timestamps", () => {
    expect(frame("t1F4401020304").frame).toMatchObject({ id: 0x1f4, extended: false, rtr: false, data: new Uint8Array([1, 2, 3, 4]) });
    expect(frame("t1F4401020304EA5F")).toMatchObject({ timestampMs: 0xea5f });
    expect(frame("T1234567821122").frame).toMatchObject({ id: 0x12345678, extended: true, data: new Uint8Array([0x11, 0x22]) });
    expect(frame("r1238").frame).toMatchObject({ id: 0x123, rtr: true, data: new Uint8Array() });
    expect(frame("R123456780001A").frame).toMatchObject({ id: 0x12345678, extended: true, rtr: true });
    expect(frame("R123456780001A").timestampMs).toBe(0x1a);
  });

  it("reads CAN FD d/D/b/B frames with FD length codes", () => {
    expect(frame(`d1239${"AB".repeat(12)}`).frame).toMatchObject({ id: 0x123, fd: true });
    expect(frame(`B12345678F${"00".repeat(64)}`).frame.data).toHaveLength(64);
  });

  it("ignores command replies and rejects garbage with a reason", () => {
    expect(parseSlcanLine("V1013", "x")).toBeNull();
    expect(parseSlcanLine("z", "x")).toBeNull();
    for (const [line, reason] of [
      ["t12", /too short/],
      ["tXYZ0", /bad id/],
      ["t8000", /out of range/],
      ["t1239", /bad DLC/],
      ["t1232AB", /characters after the DLC/],
      ["t1231ZZ", /bad data/],
      ["t1231AAXYZW", /bad timestamp/],
      ["Q", /unexpected slcan line/],
    ] as const) {
      const parsed = parseSlcanLine(line, "x");
      expect(parsed && "error" in parsed ? parsed.error : "parsed").toMatch(reason);
    }
  });
});

/** A fake slcan USB adapter on one end of the pty pair. */
class ScriptedSlcan {
  readonly commands: string[] = [];
  private port: SerialPort | undefined;
  private text = "";
  constructor(
    private readonly frames: string[],
    private readonly refuse: string[] = [],
  ) {}

  async open(path: string) {
    this.port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => this.port?.open((error) => (error ? reject(error) : resolve())));
    this.port.on("data", (chunk: Buffer) => {
      for (const c of chunk.toString("latin1")) {
        if (c !== "\r") {
          this.text += c;
          continue;
        }
        const command = this.text;
        this.text = "";
        this.commands.push(command);
        this.port?.write(this.refuse.includes(command) ? "\x07" : "\r");
        if (command === "O" || command === "L") this.port?.write(this.frames.map((f) => `${f}\r`).join(""));
      }
    });
  }

  async close() {
    const port = this.port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

describe.skipIf(!hasSocat)(`slcan adapter over a socat pty pair (${NEEDS_SOCAT})`, () => {
  let dir: string;
  let socat: PtyPair | undefined;
  const peers: ScriptedSlcan[] = [];

  const startSocat = async () => {
    socat = await startPtyPair(join(dir, "device"), join(dir, "bridge"));
  };
  const stopSocat = async () => {
    const pair = socat;
    socat = undefined;
    await pair?.stop();
  };
  const peer = async (frames: string[], refuse: string[] = []) => {
    const scripted = new ScriptedSlcan(frames, refuse);
    await scripted.open(join(dir, "device"));
    peers.push(scripted);
    return scripted;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "can-slcan-"));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    await stopSocat();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const FRAMES = ["t1F4401020304", "t1F44010203041A2B", "T1234567821122", "r1238", "R123456780", "d1239" + "AB".repeat(12), "tXYZ0"];

  it("opens with C, S6, O; decodes and raw-sends every kind of frame; counts the garbage", async () => {
    await startSocat();
    const device = await peer(FRAMES);
    const harness = new AdapterHarness({ configDir: join(import.meta.dirname, "../../fixtures/can") });
    const adapter = harness.create(can, {
      interface: "slcan",
      device: join(dir, "bridge"),
      bitrate: 500000,
      dbc: "cantools_dbc/socialledge.dbc",
      raw: "unknown",
      health_interval: 0,
    });
    await adapter.start();
    await harness.waitForPoints(2 * 4 + 1 + 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await adapter.stop();
    expect(device.commands.slice(0, 3)).toEqual(["C", "S6", "O"]);
    expect(harness.states.map((s) => s.state)).toContain("up");
    const debug = harness.points.filter((p) => p.metric === "IO_DEBUG.IO_DEBUG_test_unsigned");
    expect(debug.map((p) => [p.value, p.tags?.bus, p.timestamp])).toEqual([
      [1, "bridge", undefined],
      [1, "bridge", undefined],
    ]);
    expect(harness.points.filter((p) => p.metric.startsWith("raw.")).map((p) => [p.metric, p.value])).toEqual([
      ["raw.12345678", "1122"],
      ["raw.123", "R"],
      ["raw.12345678", "R"],
      ["raw.123", "AB".repeat(12)],
    ]);
    expect(harness.counters.get("malformed_lines")).toBe(1);
    expect(harness.counters.get("frames")).toBe(6);
  });

  it("listen_only opens with L; a refused bitrate is reported", async () => {
    await startSocat();
    const device = await peer(["t1F4401020304"], ["S8"]);
    const harness = new AdapterHarness();
    const refused = harness.create(can, {
      interface: "slcan",
      device: join(dir, "bridge"),
      bitrate: 1000000,
      reconnect_min: 5000,
      reconnect_max: 5000,
    });
    await refused.start();
    await refused.stop();
    expect(harness.states.find((s) => s.state === "down")?.detail).toMatch(/adapter refused "S8"/);
    const listening = harness.create(can, {
      interface: "slcan",
      device: join(dir, "bridge"),
      bitrate: 250000,
      listen_only: true,
      raw: "all",
    });
    await listening.start();
    await harness.waitForPoints(1);
    await listening.stop();
    // The opening sequence of the second session; a closing "C" may follow it, depending on
    // whether stop()'s close reached the peer before the pty went away.
    const opened = device.commands.lastIndexOf("S5");
    expect(device.commands.slice(opened - 1, opened + 2)).toEqual(["C", "S5", "L"]);
  });

  it("reconnects after the device is unplugged and plugged back in", async () => {
    await startSocat();
    await peer(["t123111"]);
    const harness = new AdapterHarness();
    const adapter = harness.create(can, {
      interface: "slcan",
      device: join(dir, "bridge"),
      raw: "all",
      reconnect_min: 100,
      reconnect_max: 400,
      health_interval: 0,
    });
    await adapter.start();
    await harness.waitForPoints(1);
    for (const p of peers.splice(0)) await p.close();
    await stopSocat();
    const deadline = Date.now() + 5000;
    while (!harness.states.some((s) => s.state === "down")) {
      if (Date.now() > deadline) throw new Error(`no down state: ${JSON.stringify(harness.states)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await startSocat();
    const replugged = await peer(["t123122"]);
    await harness.waitForPoints(2, 10_000);
    await adapter.stop();
    expect(harness.points.map((p) => p.value)).toEqual(["11", "22"]);
    expect(replugged.commands.slice(0, 3)).toEqual(["C", "S6", "O"]);
    expect(harness.states.filter((s) => s.state === "up")).toHaveLength(2);
    expect(harness.counters.get("reconnects")).toBe(1);
  });

  it("pauses the port under backpressure and loses nothing", async () => {
    await startSocat();
    const frames = Array.from(
      { length: 300 },
      (_, i) => `t1232${(i & 0xff).toString(16).padStart(2, "0").toUpperCase()}${(i >> 8).toString(16).padStart(2, "0").toUpperCase()}`,
    );
    await peer(frames);
    const harness = new AdapterHarness({ highWater: 20 });
    const adapter = harness.create(can, { interface: "slcan", device: join(dir, "bridge"), raw: "all", health_interval: 0 });
    await adapter.start();
    await harness.waitForPoints(20);
    const deadline = Date.now() + 10_000;
    while (harness.points.length < 300 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      harness.release();
    }
    await adapter.stop();
    expect(harness.points.map((p) => p.value)).toEqual(frames.map((f) => f.slice(5)));
  });
});
