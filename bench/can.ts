/**
 * CAN decoding throughput on real captures. Run: npx tsx bench/can.ts [seconds per case, default 2]
 *   1. compiled DBC decode (lookup + decode into typed arrays) of the real VW MQB and FCA Giorgio
 *      frames (opendbc, 380 frames, 27 messages) with their real DBCs — the figure the issue aims at;
 *   2. the same frames through FrameDecoder (points with names and tags, as the adapter emits them);
 *   3. candump line parsing of the SavvyCAN capture (12,974 lines).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCandumpLine } from "../adapters/can/candump.js";
import { CompiledDatabase, DecodeScratch } from "../adapters/can/dbc/database.js";
import { parseDbc } from "../adapters/can/dbc/parser.js";
import { FrameDecoder } from "../adapters/can/decode.js";
import type { CanFrame } from "../adapters/can/frame.js";
import type { PointInput } from "../src/pipeline/point.js";

const seconds = Number(process.argv[2] ?? 2);
const FIXTURES = join(import.meta.dirname, "../test/fixtures/can");

function database(file: string): CompiledDatabase {
  const { db, problems } = parseDbc(readFileSync(join(FIXTURES, "opendbc", file), "latin1"), file);
  if (problems.some((p) => p.severity === "error")) throw new Error(`${file} has errors`);
  return new CompiledDatabase(db.messages);
}

const cases = JSON.parse(readFileSync(join(FIXTURES, "opendbc/real_vehicle_checksum_frames.json"), "utf8")).cases as {
  dbc: string;
  address: number;
  frames: string[];
}[];
const databases: Record<string, CompiledDatabase> = {
  "vw_mqb.dbc": database("vw_mqb.dbc"),
  "fca_giorgio.dbc": database("fca_giorgio.dbc"),
};
const work: { db: CompiledDatabase; frame: CanFrame }[] = cases.flatMap((c) =>
  c.frames.map((hex) => ({
    db: databases[c.dbc],
    frame: {
      id: c.address,
      extended: false,
      rtr: false,
      error: false,
      fd: false,
      data: Buffer.from(hex, "hex"),
      channel: "can0",
      timestampMs: undefined,
    },
  })),
);

function measure(name: string, run: () => { frames: number; items: number }, itemName: string) {
  // Warm up so V8 has optimised the generated decoders before the clock starts.
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) run();
  let frames = 0;
  let items = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const r = run();
    frames += r.frames;
    items += r.items;
  }
  const elapsed = (performance.now() - start) / 1000;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(`${name.padEnd(48)} ${fmt(frames / elapsed).padStart(12)} frames/s ${fmt(items / elapsed).padStart(13)} ${itemName}/s`);
}

// 1. Compiled decode only.
const scratch = new DecodeScratch(Math.max(databases["vw_mqb.dbc"].maxSignals, databases["fca_giorgio.dbc"].maxSignals));
let checksum = 0;
measure(
  "DBC decode, real VW MQB + FCA frames",
  () => {
    let signals = 0;
    for (let r = 0; r < 100; r++) {
      for (let i = 0; i < work.length; i++) {
        const { db, frame } = work[i];
        const compiled = db.lookup(frame.id, frame.extended);
        if (compiled === undefined) continue;
        const n = compiled.decode(frame.data, frame.data.length, scratch.idx, scratch.val, scratch.raw);
        signals += n;
        checksum += scratch.val[0];
      }
    }
    return { frames: work.length * 100, items: signals };
  },
  "signals",
);

// 2. Frames → points, as the adapter emits them.
const decoders = Object.fromEntries(
  Object.entries(databases).map(([file, db]) => [
    file,
    new FrameDecoder(db, { naming: "message", labels: true, raw: "none", j1939: false, exclude: [], defaults: {}, signals: {} }, () =>
      performance.now(),
    ),
  ]),
);
const byDb = work.map(({ db, frame }) => ({ decoder: decoders[db === databases["vw_mqb.dbc"] ? "vw_mqb.dbc" : "fca_giorgio.dbc"], frame }));
measure(
  "frames → points (names, tags, labels)",
  () => {
    const out: PointInput[] = [];
    for (let r = 0; r < 10; r++) for (const { decoder, frame } of byDb) decoder.decode(frame, out);
    return { frames: byDb.length * 10, items: out.length };
  },
  "points",
);

// 3. candump text parsing.
const lines = readFileSync(join(FIXTURES, "savvycan/candump.log"), "latin1").split("\n");
measure(
  "candump -l line parsing (SavvyCAN capture)",
  () => {
    let parsed = 0;
    for (const line of lines) if (parseCandumpLine(line)) parsed++;
    return { frames: parsed, items: lines.length };
  },
  "lines",
);
if (Number.isNaN(checksum)) console.log("(checksum NaN)");
