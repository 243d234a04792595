/**
 * An independent peer: Debian's python3-pymodbus serves values its own BinaryPayloadBuilder laid
 * out in all four byte orders (pymodbus_server.py), and the adapter must read them back exactly.
 * Needs python3 with pymodbus (a system peer, see system-peer.ts): under CI=true its absence
 * fails the test; elsewhere the test is skipped with the reason in its name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import modbus from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { commandWorks, requirePeer } from "../../helpers/system-peer.js";

/** Debian's interpreter, which python3-pymodbus installs into (a python3 first on PATH may be a pyenv or venv one). */
const PYTHON = "/usr/bin/python3";
const pymodbus = requirePeer({
  name: "pymodbus",
  apt: "python3-pymodbus python3-serial-asyncio",
  probe: () => commandWorks(PYTHON, ["-c", "import pymodbus.server"]),
});

let child: ChildProcess | undefined;
let stopAdapter: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopAdapter?.();
  child?.kill("SIGTERM");
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startPeer(port: number): Promise<void> {
  const script = new URL("./pymodbus_server.py", import.meta.url).pathname;
  const peer = spawn(PYTHON, [script, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  child = peer;
  let stderr = "";
  peer.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pymodbus server did not start: ${stderr}`)), 10_000);
    peer.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("READY")) {
        clearTimeout(timer);
        resolve();
      }
    });
    peer.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus server exited with ${code}: ${stderr}`));
    });
  });
}

const LAYOUT = [
  { suffix: "int16", offset: 0, type: "int16", value: -12345 },
  { suffix: "uint16", offset: 1, type: "uint16", value: 54321 },
  { suffix: "int32", offset: 2, type: "int32", value: -123456789 },
  { suffix: "uint32", offset: 4, type: "uint32", value: 3_000_000_000 },
  { suffix: "int64", offset: 6, type: "int64", value: -9007199254740991 },
  { suffix: "uint64", offset: 10, type: "uint64", value: 9007199254740991 },
  { suffix: "float32", offset: 14, type: "float32", value: 1234.56 },
  { suffix: "float64", offset: 16, type: "float64", value: -98765.4321012345 },
];
const ORDERS = [
  ["ABCD", 100],
  ["CDAB", 200],
  ["BADC", 300],
  ["DCBA", 400],
] as const;

describe.skipIf(!pymodbus.available)(`pymodbus as an independent peer (${pymodbus.reason})`, () => {
  it("reads every type in every byte order, a string, input registers, coils and discrete inputs", async () => {
    const port = await freePort();
    await startPeer(port);
    const points: Record<string, unknown>[] = [];
    const expected = new Map<string, unknown>();
    for (const [order, base] of ORDERS) {
      for (const field of LAYOUT) {
        const name = `${order}_${field.suffix}`;
        points.push({ name, address: base + field.offset, type: field.type, byte_order: order });
        expected.set(name, field.value);
      }
    }
    points.push({ name: "label", address: 500, type: "string", length: 8 });
    points.push({ name: "input0", table: "input", address: 0 });
    points.push({ name: "input1_signed", table: "input", address: 1, type: "int16" });
    points.push({ name: "coil0", table: "coil", address: 0 });
    points.push({ name: "coil1", table: "coil", address: 1 });
    points.push({ name: "coil2", table: "coil", address: 2 });
    points.push({ name: "di1", table: "discrete", address: 1 });
    for (const [name, value] of Object.entries({
      label: "pymodbus",
      input0: 1234,
      input1_signed: -1,
      coil0: true,
      coil1: false,
      coil2: true,
      di1: true,
    }))
      expected.set(name, value);

    const harness = new AdapterHarness({ id: "peer" });
    const adapter = harness.create(modbus, { url: `tcp://127.0.0.1:${port}`, interval: "200ms", devices: [{ unit_id: 1, points }] });
    await adapter.start();
    stopAdapter = () => adapter.stop();
    await harness.waitForPoints(expected.size, 15_000);
    const got = new Map(harness.batches[0].map((p) => [p.metric, p.value]));
    for (const [name, value] of expected) expect(got.get(name), name).toBe(value);
    expect(got.size).toBe(expected.size);
  });
});
