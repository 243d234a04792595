/**
 * Decodes the ArduSub tlog (35,912 MAVLink 2 frames) as fast as possible: framing + CRC + decode
 * to points, as the adapter does it, without pacing or I/O. Prints messages/s and points/s.
 *
 *   npx tsx bench/mavlink.ts [file.tlog] [rounds]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageDecoder } from "../adapters/mavlink/decode.js";
import { dialect } from "../adapters/mavlink/dialect.js";
import { FrameParser } from "../adapters/mavlink/framing.js";
import type { PointInput } from "../src/pipeline/point.js";

const file = process.argv[2] ?? fileURLToPath(new URL("../test/fixtures/mavlink/ardusub_small.tlog", import.meta.url));
const rounds = Number(process.argv[3] ?? 20);
const bytes = readFileSync(file);
const messages = dialect("ardupilotmega");
const problems = new Map<string, number>();
const count = (name: string, n = 1) => problems.set(name, (problems.get(name) ?? 0) + n);
const decoder = new MessageDecoder(messages, { angles: "radians", include: [], exclude: [], rates: {}, count });

let frames = 0;
let points = 0;
let out: PointInput[] = [];
const parser = new FrameParser({
  tlog: true,
  crcExtra: (id) => messages.crcExtra(id),
  onProblem: (problem, n) => count(problem, n),
  onFrame(frame) {
    frames++;
    const stamp = (frame.timestampUs ?? 0) / 1000;
    points += decoder.decode(frame, stamp, stamp, out);
  },
});

function round(chunkSize: number) {
  parser.reset();
  decoder.reset();
  for (let at = 0; at < bytes.length; at += chunkSize) {
    parser.push(bytes.subarray(at, at + chunkSize));
    // Emit per chunk as the replay does; the pipeline would take `out` here.
    out = [];
  }
  parser.end();
}

round(65536); // warm-up: compiles the plans and lets the JIT settle
frames = 0;
points = 0;
problems.clear();
const started = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) round(65536);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const mb = (bytes.length * rounds) / 1e6 / seconds;
console.log(`mavlink decode: ${file.split("/").pop()} × ${rounds} rounds, ${(bytes.length / 1e6).toFixed(2)} MB each`);
console.log(`  frames/round    ${frames / rounds}`);
console.log(`  points/round    ${points / rounds}`);
console.log(`  messages/s      ${Math.round(frames / seconds).toLocaleString("en-US")}`);
console.log(`  points/s        ${Math.round(points / seconds).toLocaleString("en-US")}`);
console.log(`  throughput      ${mb.toFixed(1)} MB/s`);
console.log(`  skipped/round   ${JSON.stringify(Object.fromEntries([...problems].map(([k, v]) => [k, v / rounds])))}`);
