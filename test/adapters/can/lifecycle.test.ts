import { readdirSync, readlinkSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameDecoder } from "../../../adapters/can/decode.js";
import can from "../../../adapters/can/index.js";
import { CanRuntime } from "../../../adapters/can/runtime.js";
import { SlcanTransport } from "../../../adapters/can/transport/slcan.js";
import { type SocketcanModule, SocketcanTransport } from "../../../adapters/can/transport/socketcan.js";
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { AdapterHarness, withTimeout } from "../../helpers/adapter-harness.js";
import { hasSocat, NEEDS_SOCAT, type PtyPair, startPtyPair } from "../../helpers/socat.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/can");
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function runtimeFor(ctx: AdapterContext) {
  const decoder = new FrameDecoder(
    undefined,
    { naming: "message", labels: true, raw: "all", j1939: false, exclude: [], defaults: {}, signals: {} },
    () => performance.now(),
  );
  return new CanRuntime(decoder, ctx, [], 0);
}

describe("stop() during start()", () => {
  it("candump: a stop right after start (adapter still loading) stops the replay before it sends anything", async () => {
    const harness = new AdapterHarness({ configDir: FIXTURES });
    const adapter = harness.create(can, {
      interface: "candump",
      file: "savvycan/candump.log",
      dbc: "savvycan/probe.dbc",
      speed: "max",
      raw: "all",
      health_interval: 0,
    });
    const started = adapter.start();
    await adapter.stop();
    await withTimeout(started, 5000, "start() after stop()");
    await pause(300);
    expect(harness.points).toEqual([]);
    expect(harness.finishedCalled).toBe(false);
  });

  it("socketcan: stopped while the package loads, start() resolves and no channel opens", async () => {
    const harness = new AdapterHarness();
    let opened = 0;
    let loaded: (module: SocketcanModule) => void = () => {};
    const module: SocketcanModule = {
      createRawChannel() {
        opened++;
        return { addListener() {}, setRxFilters() {}, start() {}, stop() {} };
      },
    };
    const transport = new SocketcanTransport(
      { channel: "can0", filters: [], minMs: 10, maxMs: 20 },
      runtimeFor(harness.context),
      harness.context,
      () => new Promise((resolve) => (loaded = resolve)),
    );
    const started = transport.start();
    const stopped = transport.stop();
    loaded(module);
    await withTimeout(started, 2000, "start() after stop()");
    await stopped;
    expect(opened).toBe(0);
    expect(harness.states.map((s) => s.state)).not.toContain("up");
  });

  it("socketcan: a context already aborted when the transport is made stops it at once", async () => {
    const harness = new AdapterHarness();
    harness.abort.abort();
    let opened = 0;
    const transport = new SocketcanTransport(
      { channel: "can0", filters: [], minMs: 10, maxMs: 20 },
      runtimeFor(harness.context),
      harness.context,
      async () => ({
        createRawChannel() {
          opened++;
          return { addListener() {}, setRxFilters() {}, start() {}, stop() {} };
        },
      }),
    );
    await withTimeout(transport.start(), 2000, "start() with an aborted context");
    expect(opened).toBe(0);
  });
});

describe.skipIf(!hasSocat)(`slcan: stop() while the serial port is opening (${NEEDS_SOCAT})`, () => {
  let dir: string;
  let socat: PtyPair;
  let device: SerialPort;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "can-lifecycle-"));
    socat = await startPtyPair(join(dir, "device"), join(dir, "bridge"));
    // An slcan device that acknowledges every command.
    device = new SerialPort({ path: join(dir, "device"), baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => device.open((error) => (error ? reject(error) : resolve())));
    device.on("data", (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0d) device.write("\r");
    });
  });
  afterAll(async () => {
    if (device.isOpen) await new Promise<void>((resolve) => device.close(() => resolve()));
    await socat.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** File descriptors of this process open on the bridge end of the pty pair. */
  const openDescriptors = () => {
    const target = realpathSync(join(dir, "bridge"));
    return readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
  };

  it("closes the port that finished opening after stop(), never reports up, and start() resolves", async () => {
    const harness = new AdapterHarness();
    let transport: SlcanTransport | undefined;
    let stopping: Promise<void> | undefined;
    // Stop exactly when the transport has asked for the port and before the open completes.
    const ctx: AdapterContext = {
      ...harness.context,
      status(state, detail) {
        harness.context.status(state, detail);
        if (detail?.startsWith("opening")) stopping = transport?.stop();
      },
    };
    transport = new SlcanTransport(
      { device: join(dir, "bridge"), bitrate: 500000, serialBaud: 115200, listenOnly: false, channel: "bridge", minMs: 50, maxMs: 100 },
      runtimeFor(ctx),
      ctx,
    );
    await withTimeout(transport.start(), 5000, "start() after stop()");
    await stopping;
    expect(harness.states.map((s) => s.state)).not.toContain("up");
    expect(openDescriptors()).toEqual([]);
  });
});
