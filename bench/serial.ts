/**
 * The serial adapter's decoding rate and its rate through a real pty pair:
 *   - NMEA sentences/s: the sentences of the twelve gpsd logs (GGA, RMC, GSA, GSV, GLL, VTG, ZDA,
 *     GST…, real receivers' mix), framed and decoded into points, in a loop;
 *   - CSV lines/s: a 6-column numeric CSV, framed and decoded;
 *   - through a socat pty: sentences written by a peer, read by the adapter's port (serialport),
 *     framed, decoded and emitted (skipped when socat is missing).
 *   npx tsx bench/serial.ts [--seconds N]
 * The aim is CPU headroom: a 115200-baud link carries about 140 sentences/s.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createDecoder } from "../adapters/serial/decoder.js";
import type { FrameDecoder } from "../adapters/serial/formats/format.js";
import { createFramer } from "../adapters/serial/framing.js";
import serial from "../adapters/serial/index.js";
import type { PointInput } from "../src/pipeline/point.js";
import { PtyRig } from "../test/adapters/serial/pty-peer.js";
import { AdapterHarness } from "../test/helpers/adapter-harness.js";
import { hasSocat } from "../test/helpers/socat.js";

const argIndex = process.argv.indexOf("--seconds");
const SECONDS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 3;
const gpsd = join(import.meta.dirname, "../test/fixtures/serial/gpsd");

const sentences = readdirSync(gpsd)
  .filter((name) => name.endsWith(".log"))
  .flatMap((name) => readFileSync(join(gpsd, name), "latin1").split("\n"))
  .filter((line) => line.startsWith("$"))
  .map((line) => `${line.trim()}\r\n`);
const nmeaBlock = Buffer.from(sentences.join(""), "latin1");

const csvRows = Array.from(
  { length: 1000 },
  (_, i) => `${i},${(20 + (i % 50) / 10).toFixed(1)},${40 + (i % 30)},1013.${i % 10},${i * 3},-${i % 7}.25\n`,
);
const csvBlock = Buffer.from(`time,temp,rh,pressure,count,offset\n${csvRows.join("")}`, "latin1");

/** Frames and decodes `block` over and over for SECONDS; returns frames/s and points/s. */
function decodeRate(format: "nmea" | "csv", block: Buffer, framesPerBlock: number) {
  const options = serial.options.parse({ device: "/dev/null", format });
  const decoder: FrameDecoder = createDecoder(options, () => {});
  let out: PointInput[] = [];
  let points = 0;
  const framer = createFramer({ delimiter: "\n" }, options.max_line, {
    frame: (frame) => decoder.decode(frame, out),
    text: decoder.decodeText ? (frame) => decoder.decodeText?.(frame, out) : undefined,
    overlong: () => {},
    skipped: () => {},
  });
  // 4 KiB reads, as a port delivers them (a little smaller, in fact).
  const chunks: Buffer[] = [];
  for (let at = 0; at < block.length; at += 4096) chunks.push(block.subarray(at, at + 4096));
  let blocks = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    for (const chunk of chunks) {
      framer.push(chunk);
      points += out.length;
      out = [];
    }
    blocks++;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    "frames/s": Math.round((blocks * framesPerBlock) / seconds),
    "points/s": Math.round(points / seconds),
    // On a shared machine wall time includes waiting for a core; CPU time does not.
    "frames per CPU-s": Math.round((blocks * framesPerBlock) / cpuSeconds),
  };
}

async function ptyRate() {
  const rig = new PtyRig();
  await rig.setUp();
  const peer = await rig.plug();
  const harness = new AdapterHarness({ id: "bench" });
  const adapter = harness.create(serial, { device: rig.bridgePath, baud: 115200 });
  await adapter.start();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let written = 0;
  while (performance.now() - started < SECONDS * 1000) {
    await peer.write(nmeaBlock);
    written += sentences.length;
  }
  const deadline = Date.now() + 10_000;
  while ((harness.counters.get("frames") ?? 0) < written && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const frames = harness.counters.get("frames") ?? 0;
  await adapter.stop();
  await rig.tearDown();
  return {
    "frames/s": Math.round(frames / seconds),
    "points/s": Math.round(harness.points.length / seconds),
    // Writer and reader share this process here, so this counts both ends.
    "frames per CPU-s": Math.round(frames / ((cpu.user + cpu.system) / 1e6)),
    lost: written - frames,
  };
}

console.log(
  `serial adapter, ${SECONDS} s per row, Node ${process.version}; ${sentences.length} gpsd sentences, ${csvRows.length} CSV rows`,
);
const rows: Record<string, Record<string, number | string>> = {
  "NMEA decode (gpsd logs)": decodeRate("nmea", nmeaBlock, sentences.length),
  "CSV decode (6 columns)": decodeRate("csv", csvBlock, csvRows.length + 1),
};
if (hasSocat) rows["NMEA through a socat pty"] = await ptyRate();
else console.log("socat missing: the pty row is skipped (apt-get install socat)");
console.table(rows);
