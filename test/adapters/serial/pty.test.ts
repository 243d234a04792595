/**
 * The serial adapter on real pseudo-terminals (socat), with an instrument's end written by the
 * test: the gpsd logs against gpsd's own expected output, pynmea2's vectors, unplug and replug,
 * init writes and polling answered by a responder, garbage and an over-long line.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import serial from "../../../adapters/serial/index.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { hasSocat, NEEDS_SOCAT } from "../../helpers/socat.js";
import { expectationsFromChk, TOLERANCE } from "./gpsd-expectations.js";
import { eventually, PtyRig, untilUp } from "./pty-peer.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/serial");
const GPSD_LOGS = readdirSync(join(FIXTURES, "gpsd")).filter((name) => name.endsWith(".log"));

describe.skipIf(!hasSocat)(`serial adapter over a socat pty pair (${NEEDS_SOCAT})`, () => {
  const rig = new PtyRig();
  let adapter: Adapter | undefined;

  beforeEach(() => rig.setUp());
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await rig.tearDown();
  });

  const start = async (harness: AdapterHarness, options: Record<string, unknown>) => {
    adapter = harness.create(serial, { device: rig.bridgePath, reconnect_min: 100, reconnect_max: 400, ...options });
    await adapter.start();
    await untilUp(harness);
    return adapter;
  };
  const frames = (harness: AdapterHarness) => harness.counters.get("frames") ?? 0;

  it("has the twelve gpsd logs", () => {
    expect(GPSD_LOGS).toHaveLength(12);
  });

  it.each(GPSD_LOGS)("%s: positions, speeds, altitudes and time of day agree with gpsd's .chk", async (name) => {
    const log = readFileSync(join(FIXTURES, "gpsd", name), "latin1");
    const peer = await rig.plug();
    const harness = new AdapterHarness();
    await start(harness, { time_source: "gps" });
    await peer.write(log);
    const lines = log.split("\n").length - 1;
    await eventually(() => frames(harness) >= lines, `${lines} frames (have ${frames(harness)})`);

    expect(harness.counters.get("bad_checksums") ?? 0).toBe(0);
    const expectations = expectationsFromChk(readFileSync(join(FIXTURES, "gpsd", `${name}.chk`), "latin1"));
    let compared = 0;
    for (const [metric, { expected, field }] of expectations) {
      const got = harness.points.filter((p) => p.metric === metric);
      expect(got.length, `${metric}: one point per sentence with a fix`).toBe(expected.length);
      expected.forEach((want, i) => {
        const point = got[i];
        if (want.value !== undefined) {
          expect(
            Math.abs((point.value as number) - want.value),
            `${metric}[${i}] ${point.value} vs gpsd ${want.value}`,
          ).toBeLessThanOrEqual(TOLERANCE[field]);
          compared++;
        }
        if (want.timeOfDay !== undefined && point.timestamp !== undefined) {
          expect(point.timestamp % 86_400_000, `${metric}[${i}] time of day`).toBe(want.timeOfDay);
          compared++;
        }
      });
    }
    // Two logs have no fix at all: then nothing may claim a position.
    const positions = harness.points.filter((p) => p.metric.endsWith(".latitude")).length;
    if (expectations.size === 0) expect(positions).toBe(0);
    else expect(compared).toBeGreaterThan(0);
  });

  it("decodes pynmea2's vectors; counts what it does not decode", async () => {
    const vectors = JSON.parse(readFileSync(join(FIXTURES, "pynmea2/pynmea2_sentence_vectors.json"), "utf8")) as {
      cases: { sentence: string }[];
    };
    const peer = await rig.plug();
    const harness = new AdapterHarness();
    // Two vectors come without a checksum, as pynmea2 has them.
    await start(harness, { require_checksum: false });
    await peer.write(vectors.cases.map((c) => `${c.sentence}\r\n`).join(""));
    await eventually(() => frames(harness) >= vectors.cases.length, "every vector");
    const value = (metric: string) => harness.points.find((p) => p.metric === metric)?.value;
    expect(value("gga.latitude")).toBeCloseTo(-(19 + 29.045 / 60), 12);
    expect(value("gga.longitude")).toBeCloseTo(24 + 10.506 / 60, 12);
    expect([
      value("gga.fix_quality"),
      value("gga.satellites"),
      value("gga.hdop"),
      value("gga.altitude"),
      value("gga.geoid_separation"),
    ]).toEqual([1, 4, 2.6, 100, -33.9]);
    expect(value("rmc.latitude")).toBeCloseTo(49.274166666666666, 12);
    expect(value("rmc.longitude")).toBeCloseTo(-123.18533333333333, 12);
    expect(value("rmc.speed")).toBeCloseTo((0.5 * 1852) / 3600, 12);
    expect([value("rmc.course"), value("rmc.magnetic_variation")]).toEqual([54.7, 20.3]);
    expect(harness.points.find((p) => p.metric === "mwv.wind_angle")).toMatchObject({ value: 271, tags: { reference: "relative" } });
    expect(value("mwv.wind_speed")).toBeCloseTo((0.2 * 1852) / 3600, 12);
    expect(
      ["rms", "std_dev_major", "std_dev_minor", "orientation", "std_dev_latitude", "std_dev_longitude", "std_dev_altitude"].map((f) =>
        value(`gst.${f}`),
      ),
    ).toEqual([0.006, 0.023, 0.02, 273.6, 0.023, 0.02, 0.031]);
    expect(value("txt.text")).toBe("ROM BASE 2.01 (75331) Oct 29 2013 13:28:17");
    expect(value("zda.unix_time")).toBe(Date.UTC(2008, 6, 6, 1, 2, 3, 50) / 1000);
    expect(value("zda.local_zone_offset")).toBe(-(8 * 60 + 30));
    expect(value("vpw.speed")).toBeCloseTo((1.2 * 1852) / 3600, 12);
    expect(harness.points.filter((p) => p.metric.startsWith("xdr.")).map((p) => [p.metric, p.value, p.tags])).toEqual([
      ["xdr.n", -64.437, { type: "A", unit: "M" }],
      ["xdr.e", 54.454, { type: "A", unit: "D" }],
      ["xdr.t_n1052", 17.09, { type: "C", unit: "C" }],
    ]);
    expect(value("gll.latitude")).toBeCloseTo(49.274166666666666, 12);
    expect([value("gsa.fix_type"), value("gsa.satellites_used"), value("gsa.pdop"), value("gsa.hdop"), value("gsa.vdop")]).toEqual([
      3, 5, 1.6, 1.6, 1,
    ]);
    expect([value("hev.heave"), value("mta.temperature"), value("ths.heading"), value("mmb.pressure")]).toEqual([-0.01, 10, 304.5, 1004.6]);
    // RTE, R00, two SeaTalk STALK, GRS, HBT, ALR: valid NMEA the adapter has no decoder for.
    expect(harness.counters.get("unsupported_sentences")).toBe(7);
    // BOD and VBW come without their leading $ in pynmea2's tests.
    expect(harness.counters.get("not_nmea_lines")).toBe(2);
  });

  it("goes down with the reason when unplugged, comes back when plugged in again, and sends init again", async () => {
    let peer = await rig.plug();
    const harness = new AdapterHarness();
    await start(harness, { init: ["$PUBX,40,GSV,0,0,0,0*59\r\n"] });
    await peer.write("$GPHDT,123.4,T*31\r\n");
    await harness.waitForPoints(1);
    await rig.unplug();
    await eventually(() => harness.states.some((s) => s.state === "down"), "down after the unplug");
    const down = harness.states.filter((s) => s.state === "down").map((s) => s.detail ?? "");
    // While the device is gone, reopening fails with ENOENT, described for the operator.
    await eventually(
      () => harness.states.some((s) => /device not present/.test(s.detail ?? "")),
      `"device not present" (states: ${down.join(" | ")})`,
    );
    const before = harness.states.length;
    peer = await rig.plug();
    await untilUp(harness, before);
    await peer.write("$GPHDT,234.5,T*35\r\n");
    await harness.waitForPoints(2);
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["hdt.heading", 123.4],
      ["hdt.heading", 234.5],
    ]);
    // The receiver came back with its defaults: the init string went to the new port too.
    await eventually(() => peer.received === "$PUBX,40,GSV,0,0,0,0*59\r\n", `init on the new port (got ${JSON.stringify(peer.received)})`);
    expect(harness.counters.get("init_writes")).toBe(2);
  });

  it("writes the init strings after each open, polls, and marks a silent instrument down", async () => {
    const peer = await rig.plug();
    let answering = true;
    // A scale that answers "SI" with its weight, once per request.
    peer.respond((received) => {
      const requests = received.split("SI\r\n").length - 1;
      if (!answering || requests === answered) return undefined;
      answered = requests;
      return `ST,GS,+${(requests * 0.5).toFixed(2)},kg\r\n`;
    });
    let answered = 0;
    const harness = new AdapterHarness();
    await start(harness, {
      format: "regex",
      pattern: "^ST,GS,(?<weight>[-+]\\d+\\.\\d+),kg$",
      columns: [{ name: "weight", unit: "kg" }],
      init: ["Z\r\n", "\x1bU1\r\n"],
      poll: { write: "SI\r\n", interval: "50ms", timeout: "200ms" },
    });
    await harness.waitForPoints(3);
    expect(peer.received.startsWith("Z\r\n\x1bU1\r\nSI\r\n")).toBe(true);
    expect(harness.points.slice(0, 3).map((p) => [p.metric, p.value, p.tags])).toEqual([
      ["weight", 0.5, { unit: "kg" }],
      ["weight", 1, { unit: "kg" }],
      ["weight", 1.5, { unit: "kg" }],
    ]);
    expect(harness.counters.get("init_writes")).toBe(2);
    answering = false;
    await eventually(() => (harness.counters.get("poll_timeouts") ?? 0) >= 1, "a poll timeout");
    expect(harness.states.at(-1)).toMatchObject({ state: "down", detail: expect.stringMatching(/no answer to the poll within 200 ms/) });
    answering = true;
    const points = harness.points.length;
    await harness.waitForPoints(points + 1);
    await eventually(() => harness.states.at(-1)?.state === "up", "up again once it answers");
  });

  it("survives a burst of garbage and skips an over-long line, counting both", async () => {
    const peer = await rig.plug();
    const harness = new AdapterHarness();
    await start(harness, {});
    const garbage = Buffer.alloc(20_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    await peer.write(garbage);
    await peer.write(`\n$GPHDT,10.0,T*04\r\n${"$GPTXT,".padEnd(5000, "X")}\r\n$GPHDT,20.0,T*07\r\n`);
    await eventually(() => harness.points.length >= 2, "the two good sentences");
    expect(harness.points.map((p) => p.value)).toEqual([10, 20]);
    // The garbage holds a newline every 256 bytes, so only the 5000-byte sentence is over max_line.
    expect(harness.counters.get("overlong_frames")).toBe(1);
    const rejected = ["not_nmea_lines", "bad_checksums", "missing_checksums", "bad_addresses"].reduce(
      (sum, name) => sum + (harness.counters.get(name) ?? 0),
      0,
    );
    expect(rejected).toBeGreaterThan(0);
  });

  it("pauses reading while the queue is full and resumes when it drains", async () => {
    const peer = await rig.plug();
    const harness = new AdapterHarness({ highWater: 1 });
    await start(harness, {});
    await peer.write("$GPHDT,10.0,T*04\r\n");
    await harness.waitForPoints(1);
    // The queue said stop: the port is paused, so this sentence waits in the pty.
    await peer.write("$GPHDT,20.0,T*07\r\n");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.points).toHaveLength(1);
    harness.release();
    await harness.waitForPoints(2);
    expect(harness.points.map((p) => p.value)).toEqual([10, 20]);
  });

  it("reads length-prefixed binary frames split across writes", async () => {
    const peer = await rig.plug();
    const harness = new AdapterHarness();
    await start(harness, {
      format: "binary",
      framing: { length_prefix: "uint8" },
      fields: [
        { name: "flow", offset: 0, type: "float32", byte_order: "little", unit: "m3/h" },
        { name: "temperature", offset: 4, type: "int16", byte_order: "little", scale: 0.01, unit: "Cel" },
      ],
    });
    const frame = (flow: number, centi: number) => {
      const bytes = Buffer.alloc(7);
      bytes[0] = 6;
      bytes.writeFloatLE(flow, 1);
      bytes.writeInt16LE(centi, 5);
      return bytes;
    };
    const both = Buffer.concat([frame(12.5, 2150), frame(-1.25, -40)]);
    await peer.write(both.subarray(0, 4));
    await peer.write(both.subarray(4));
    await harness.waitForPoints(4);
    expect(harness.points.map((p) => [p.metric, p.value, p.tags?.unit])).toEqual([
      ["flow", 12.5, "m3/h"],
      ["temperature", 21.5, "Cel"],
      ["flow", -1.25, "m3/h"],
      ["temperature", -0.4, "Cel"],
    ]);
  });

  it("reads JSON lines with UTF-8 text", async () => {
    const peer = await rig.plug();
    const harness = new AdapterHarness();
    await start(harness, { format: "json" });
    await peer.write(Buffer.from('{"t":21.5,"unit":"°C","name":"Überlauf"}\r\n', "utf8"));
    await harness.waitForPoints(3);
    expect(harness.points.map((p) => [p.metric, p.value])).toEqual([
      ["t", 21.5],
      ["unit", "°C"],
      ["name", "Überlauf"],
    ]);
  });

  it("a stop while the adapter is starting or the port opening leaves the device free", async () => {
    const peer = await rig.plug();
    // Stops at several moments of the start; whichever one lands mid-open must not leave the port
    // open (serialport locks it: the next open would fail as "in use").
    for (const delayMs of [0, 1, 3, 10, 30]) {
      const early = new AdapterHarness();
      const starting = early.create(serial, { device: rig.bridgePath });
      const started = starting.start();
      // 0: stop() in the same tick as start(), before any I/O can complete, so the port must never
      // open; the others land wherever the open happens to be on a given machine.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await starting.stop();
      await started;
      if (delayMs === 0) expect(early.states.filter((s) => s.state === "up")).toEqual([]);
    }
    const harness = new AdapterHarness();
    await start(harness, {});
    await peer.write("$GPHDT,10.0,T*04\r\n");
    await harness.waitForPoints(1);
    expect(harness.points[0].value).toBe(10);
    expect(harness.states.some((s) => /in use/.test(s.detail ?? ""))).toBe(false);
  });
});
