/** Options, connection urls, map files and `check` (checkFiles with file:line:col). */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import modbus from "../../../adapters/modbus/index.js";
import { analyseMap, loadMapFile } from "../../../adapters/modbus/map-file.js";
import { parseEndpoint } from "../../../adapters/modbus/url.js";

const fixtures = new URL("../../fixtures/modbus/", import.meta.url).pathname;
const parse = (options: Record<string, unknown>) => modbus.options.parse(options);

describe("loading", () => {
  it("does not load modbus-serial or serialport until start()", () => {
    // The config schema imports every adapter's index.ts; the heavy libraries come in with start().
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((path) => /node_modules\/(modbus-serial|serialport|@serialport)\//.test(path))).toEqual([]);
    expect(modbus.type).toBe("modbus");
  });
});

describe("urls", () => {
  it("parses tcp, rtu with serial settings, and rtu+tcp", () => {
    expect(parseEndpoint("tcp://10.0.0.5:502")).toEqual({ kind: "tcp", host: "10.0.0.5", port: 502 });
    expect(parseEndpoint("tcp://plc.local")).toEqual({ kind: "tcp", host: "plc.local", port: 502 });
    expect(parseEndpoint("rtu:///dev/ttyUSB0?baud=9600&parity=even&stop_bits=1")).toEqual({
      kind: "rtu",
      path: "/dev/ttyUSB0",
      baudRate: 9600,
      parity: "even",
      stopBits: 1,
      dataBits: 8,
    });
    expect(parseEndpoint("rtu+tcp://192.168.1.20:4001")).toEqual({ kind: "rtu+tcp", host: "192.168.1.20", port: 4001 });
  });

  it("refuses what it cannot open", () => {
    expect(() => parseEndpoint("rtu:///dev/ttyUSB0?parity=mark")).toThrow(/parity/);
    expect(() => parseEndpoint("rtu:///dev/ttyUSB0?baud=fast")).toThrow(/baud/);
    expect(() => parseEndpoint("rtu:///dev/ttyUSB0?speed=9600")).toThrow(/unknown rtu url parameter "speed"/);
    expect(() => parseEndpoint("udp://x")).toThrow(/unsupported/);
    expect(() => parse({ url: "modbus://x", devices: [{ unit_id: 1, sunspec: true }] })).toThrow(/expected tcp/);
  });
});

describe("options", () => {
  it("fills defaults and parses durations", () => {
    const options = parse({ url: "tcp://x", devices: [{ unit_id: 1, interval: "5s", points: [{ name: "a", address: 0 }] }] });
    expect(options).toMatchObject({ interval: 1000, timeout: 1000, retries: 1, max_gap: 8, coalesce: true });
    expect(options.devices[0]).toMatchObject({ interval: 5000, max_registers_per_read: 125, sunspec: false });
  });

  it("rejects the core's keys, devices without points, and both points and map", () => {
    expect(() => parse({ url: "tcp://x", prefix: "p", devices: [{ unit_id: 1, sunspec: true }] })).toThrow();
    expect(() => parse({ url: "tcp://x", devices: [{ unit_id: 1 }] })).toThrow(/needs points, a map file or sunspec/);
    expect(() => parse({ url: "tcp://x", devices: [{ unit_id: 1, map: "m.yaml", points: [{ name: "a", address: 0 }] }] })).toThrow(
      /either points or map/,
    );
    expect(() => parse({ url: "tcp://x", devices: [{ unit_id: 1, points: [{ name: "s", address: 0, type: "string" }] }] })).toThrow(
      /needs a length/,
    );
    expect(() =>
      parse({ url: "tcp://x", devices: [{ unit_id: 1, points: [{ name: "c", table: "coil", address: 0, type: "float32" }] }] }),
    ).toThrow(/single bits/);
  });

  it("describes every option (the config schema and docs are generated from them)", () => {
    for (const [key, field] of Object.entries(modbus.options.shape))
      expect((field as { description?: string }).description, key).toBeTruthy();
  });
});

describe("map files", () => {
  it("loads a modicon-style map with defaults", async () => {
    const result = analyseMap(
      "modicon.yaml",
      "address_base: modicon\nbyte_order: CDAB\npoints:\n  - { name: sp, address: 40001, type: float32 }\n",
    );
    expect(result.problems).toEqual([]);
    expect(result.points[0]).toMatchObject({ name: "sp", table: "holding", address: 0, byteOrder: "CDAB" });
  });

  it("reports problems with file, line and column", async () => {
    const problems = await modbus.checkFiles!(
      parse({
        url: "tcp://x",
        devices: [
          { unit_id: 1, map: "maps/broken.yaml" },
          { unit_id: 2, map: "maps/broken.yaml" },
          { unit_id: 3, map: "maps/modicon.yaml" },
          { unit_id: 4, map: "maps/bad-yaml.yaml" },
          { unit_id: 5, map: "maps/missing.yaml" },
          { unit_id: 6, map: "../../../adapters/modbus/maps/sdm630.yaml" },
        ],
      }),
      fixtures,
    );
    const short = problems.map((p) => `${p.file.replace(fixtures, "")}:${p.line}:${p.col} ${p.message}`);
    expect(short.filter((p) => p.startsWith("maps/broken.yaml"))).toEqual([
      expect.stringMatching(/^maps\/broken\.yaml:4:41 points\.1\.type: Invalid option/),
      expect.stringMatching(/^maps\/broken\.yaml:5:5 points\.2\.length: type string needs a length/),
    ]);
    expect(short.filter((p) => p.startsWith("maps/modicon.yaml"))).toEqual([
      "maps/modicon.yaml:7:5 points.2: coil_wrong_table: table input contradicts modicon address 40010 (holding)",
    ]);
    expect(short.filter((p) => p.startsWith("maps/bad-yaml.yaml")).length).toBeGreaterThanOrEqual(1);
    expect(short.filter((p) => p.startsWith("maps/bad-yaml.yaml"))[0]).toMatch(/^maps\/bad-yaml\.yaml:\d+:\d+ YAML: /);
    expect(short.filter((p) => p.startsWith("maps/missing.yaml"))).toEqual([
      expect.stringMatching(/^maps\/missing\.yaml:0:0 cannot read register map .*missing\.yaml: the file does not exist$/),
    ]);
    expect(short.some((p) => p.includes("sdm630.yaml"))).toBe(false);
  });

  it("reports duplicate point names once the schema passes", () => {
    const { problems } = analyseMap("dup.yaml", "points:\n  - { name: a, address: 0 }\n  - { name: a, address: 1 }\n");
    expect(problems).toEqual([{ file: "dup.yaml", line: 3, col: 5, message: "points.1: a: duplicate point name" }]);
  });

  it("start() refuses a broken map with the positions in the message", async () => {
    await expect(loadMapFile("maps/broken.yaml", fixtures)).rejects.toThrow(/broken\.yaml:4:41: points\.1\.type/);
  });
});
