/**
 * Polls the Eastron SDM630 map (adapters/modbus/maps/sdm630.yaml, 36 float32 input registers)
 * from an in-process Modbus TCP server as fast as it answers, with and without coalescing, and
 * prints polls/s, registers/s and requests per poll. Loopback TCP, so the figures show the
 * adapter's own cost; a real meter at 9600 baud is a thousand times slower.
 *   npx tsx bench/modbus.ts [--seconds N]
 */

import { loadMapFile } from "../adapters/modbus/map-file.js";
import { modbusOptions } from "../adapters/modbus/options.js";
import { DevicePoller } from "../adapters/modbus/poller.js";
import { ModbusLink } from "../adapters/modbus/transport.js";
import { parseEndpoint } from "../adapters/modbus/url.js";
import { ModbusTestServer } from "../test/adapters/modbus/modbus-test-server.js";
import { AdapterHarness } from "../test/helpers/adapter-harness.js";

const argIndex = process.argv.indexOf("--seconds");
const SECONDS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 3;
const maps = new URL("../adapters/modbus/maps/", import.meta.url).pathname;

async function run(coalesce: boolean, server: ModbusTestServer) {
  const points = await loadMapFile("sdm630.yaml", maps);
  const options = modbusOptions.parse({ url: `tcp://127.0.0.1:${server.port}`, coalesce, devices: [{ unit_id: 1, map: "sdm630.yaml" }] });
  const harness = new AdapterHarness({ id: "bench" });
  const link = new ModbusLink(
    parseEndpoint(options.url),
    { timeoutMs: options.timeout, retries: 0, gapMs: 0, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    harness.context.log,
    { onUp() {}, onDown() {}, count: (name, n) => harness.context.count(name, n) },
  );
  link.start();
  await link.whenUp();
  const poller = new DevicePoller(
    options.devices[0],
    points,
    link,
    harness.context,
    { intervalMs: 0, plan: { maxGap: options.max_gap, coalesce }, reconnectMinMs: 100, reconnectMaxMs: 1000 },
    { deviceState() {}, exceptionReported() {} },
  );
  const registersPerPoll = poller.readPlan.reduce((sum, read) => sum + read.count, 0);
  const requestsBefore = server.requests.length;
  let polls = 0;
  let values = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - started < SECONDS * 1000) {
    const batch = await poller.pollOnce();
    if (!batch) throw new Error("poll failed");
    values += batch.length;
    polls++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await link.stop();
  const requests = server.requests.length - requestsBefore;
  return {
    mode: coalesce ? "coalesced" : "one read per point",
    "requests/poll": requests / polls,
    "polls/s": Math.round(polls / seconds),
    "registers/s": Math.round((polls * registersPerPoll) / seconds),
    "values/s": Math.round(values / seconds),
    "CPU µs/poll (client+server)": Math.round((cpu.user + cpu.system) / polls),
  };
}

const server = new ModbusTestServer("tcp");
await server.listen();
const image = server.unit(1);
const scratch = Buffer.alloc(4);
for (let address = 0; address < 400; address += 2) {
  scratch.writeFloatBE(200 + address / 10);
  image.set("input", address, [scratch.readUInt16BE(0), scratch.readUInt16BE(2)]);
}
console.log(`Modbus TCP loopback, SDM630 map (36 points), ${SECONDS} s per mode, Node ${process.version}`);
const rows = [await run(true, server), await run(false, server)];
console.table(rows);
await server.close();
