/**
 * RTU framing: over a socat pty pair (a real serial line as far as both ends can tell: the
 * adapter opens one end through serialport, the test server the other), and through TCP as a
 * serial-to-Ethernet converter would carry it (rtu+tcp://).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import modbus from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { hasSocat, NEEDS_SOCAT, startPtyPair } from "../../helpers/socat.js";
import { ModbusTestServer } from "./modbus-test-server.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface RtuLine {
  adapterEnd: string;
  serverEnd: string;
  /** Kills socat: both ends vanish, as when a USB adapter is pulled. */
  unplug(): Promise<void>;
}

async function ptyPair(dir = mkdtempSync(join(tmpdir(), "modbus-pty-"))): Promise<RtuLine> {
  const adapterEnd = join(dir, "adapter");
  const serverEnd = join(dir, "server");
  const pair = await startPtyPair(adapterEnd, serverEnd);
  cleanups.push(async () => {
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { adapterEnd, serverEnd, unplug: () => pair.stop() };
}

async function serveOnSerial(path: string, server: ModbusTestServer) {
  const port = new SerialPort({ path, baudRate: 19200, parity: "even", stopBits: 1 });
  await new Promise<void>((resolve, reject) => port.once("open", resolve).once("error", reject));
  server.attach(port);
  cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
}

function meterMap() {
  return [
    { name: "voltage", table: "input", address: 0, type: "float32", unit: "V" },
    { name: "energy", table: "input", address: 342, type: "float32", unit: "kWh" },
    { name: "relay", table: "coil", address: 3 },
  ];
}

function fillMeter(server: ModbusTestServer, unit: number, voltage: number) {
  const image = server.unit(unit);
  const b = Buffer.alloc(4);
  b.writeFloatBE(voltage);
  image.set("input", 0, [b.readUInt16BE(0), b.readUInt16BE(2)]);
  b.writeFloatBE(1234.5);
  image.set("input", 342, [b.readUInt16BE(0), b.readUInt16BE(2)]);
  image.set("coil", 3, [true]);
}

describe.skipIf(!hasSocat)(`modbus RTU over a socat pty pair (${NEEDS_SOCAT})`, () => {
  it("polls two meters on one bus, one request at a time with the configured gap, past a silent third", async () => {
    const { adapterEnd, serverEnd } = await ptyPair();
    const server = new ModbusTestServer("rtu");
    fillMeter(server, 1, 230.5);
    fillMeter(server, 2, 231.25);
    server.unit(3);
    server.silent.add(3);
    await serveOnSerial(serverEnd, server);
    const harness = new AdapterHarness({ id: "bus" });
    const adapter = harness.create(modbus, {
      url: `rtu://${adapterEnd}?baud=19200&parity=even&stop_bits=1`,
      interval: "150ms",
      timeout: "100ms",
      retries: 0,
      request_gap: "15ms",
      devices: [
        { unit_id: 1, name: "m1", points: meterMap() },
        { unit_id: 2, name: "m2", points: meterMap() },
        { unit_id: 3, name: "m3", points: meterMap() },
      ],
    });
    await adapter.start();
    cleanups.push(() => adapter.stop());
    await expect.poll(() => harness.points.filter((p) => p.metric === "m2.energy").length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const latest = (metric: string) => harness.points.filter((p) => p.metric === metric).at(-1)?.value;
    expect(latest("m1.voltage")).toBe(230.5);
    expect(latest("m2.voltage")).toBe(231.25);
    expect(latest("m1.energy")).toBe(1234.5);
    expect(latest("m1.relay")).toBe(true);
    expect(harness.points.some((p) => p.metric.startsWith("m3."))).toBe(false);
    expect(harness.states.some((s) => s.detail === "not answering: m3")).toBe(true);
    // One request in flight, then the gap: after an answer, the next request comes at least 15 ms
    // later. Measured from the answer, so a loaded host can only add to it. (Arrival-to-arrival
    // after a silent unit is not checked: serialport writes through libuv's thread pool, and on a
    // busy host a write can reach the pty late, after the client's timeout already started.)
    // Only answers sent promptly (within half the 100 ms timeout) count: one the client had already
    // given up on lets the next request follow its timeout, not the late answer.
    const requests = server.requests;
    let checked = 0;
    for (let i = 1; i < requests.length; i++) {
      const previous = requests[i - 1];
      if (previous.answeredAt === undefined || previous.answeredAt - previous.at > 50) continue;
      expect(requests[i].at - previous.answeredAt, `request ${i}`).toBeGreaterThanOrEqual(14);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(requests.filter((r) => r.unit === 3).every((r) => r.answeredAt === undefined)).toBe(true);
    expect(server.requests.filter((r) => r.unit === 1 || r.unit === 2).length).toBeGreaterThanOrEqual(9);
  });
});

describe.skipIf(!hasSocat)(`modbus RTU: the serial port goes away and comes back (${NEEDS_SOCAT})`, () => {
  it("reports the link down, reopens the port with backoff and polls again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modbus-pty-"));
    const first = await ptyPair(dir);
    const server = new ModbusTestServer("rtu");
    fillMeter(server, 1, 230.5);
    await serveOnSerial(first.serverEnd, server);
    const harness = new AdapterHarness({ id: "bus" });
    const adapter = harness.create(modbus, {
      url: `rtu://${first.adapterEnd}?baud=19200&parity=even`,
      interval: "100ms",
      timeout: "200ms",
      reconnect_min: "100ms",
      reconnect_max: "300ms",
      devices: [{ unit_id: 1, points: meterMap() }],
    });
    await adapter.start();
    cleanups.push(() => adapter.stop());
    await harness.waitForPoints(3);
    await first.unplug();
    await expect.poll(() => harness.states.at(-1)?.state, { timeout: 5000 }).toBe("down");
    fillMeter(server, 1, 240.25);
    const second = await ptyPair(dir);
    await serveOnSerial(second.serverEnd, server);
    await expect.poll(() => harness.points.some((p) => p.metric === "voltage" && p.value === 240.25), { timeout: 10_000 }).toBe(true);
    expect(harness.states.at(-1)?.state).toBe("up");
    expect(harness.log.lines.filter((l) => l.message === "link up")).toHaveLength(2);
  });
});

describe("modbus RTU framing over TCP (rtu+tcp://)", () => {
  it("polls through a serial-to-Ethernet converter", async () => {
    const server = new ModbusTestServer("rtu");
    fillMeter(server, 7, 229.75);
    const port = await server.listen();
    cleanups.push(() => server.close());
    const harness = new AdapterHarness({ id: "gw" });
    const adapter = harness.create(modbus, {
      url: `rtu+tcp://127.0.0.1:${port}`,
      interval: "100ms",
      devices: [{ unit_id: 7, points: meterMap() }],
    });
    await adapter.start();
    cleanups.push(() => adapter.stop());
    await harness.waitForPoints(3);
    expect(new Map(harness.batches[0].map((p) => [p.metric, p.value]))).toEqual(
      new Map<string, unknown>([
        ["voltage", 229.75],
        ["energy", 1234.5],
        ["relay", true],
      ]),
    );
    expect(harness.batches[0][0].tags).toEqual({ unit_id: "7", unit: "V" });
  });
});
