import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import serial from "../../../adapters/serial/index.js";
import { serialOptions } from "../../../adapters/serial/options.js";
import { describeSerialOpenError } from "../../../src/serial-port-errors.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";

const problems = (options: Record<string, unknown>) => {
  const result = serial.options.safeParse(options);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("serial options", () => {
  it("has working defaults for a GPS on a port", () => {
    expect(serial.options.parse({ device: "/dev/ttyUSB0" })).toMatchObject({
      baud: 9600,
      data_bits: 8,
      parity: "none",
      stop_bits: 1,
      format: "nmea",
      max_line: 4096,
      require_checksum: true,
      time_source: "bridge",
    });
  });

  it("refuses contradictions with the path of the problem", () => {
    expect(problems({})).toContain("device: give either device (a serial port) or file (a capture to replay)");
    expect(problems({ device: "/dev/x", file: "y" })).toHaveLength(1);
    expect(problems({ file: "x.log", init: ["a"] })).toContain("file: init and poll write to a device: a replay has none");
    expect(problems({ device: "/dev/x", format: "binary", fields: [{ name: "a", offset: 0, type: "uint8" }] })).toEqual([
      "framing: format: binary needs framing: { length }, { length_prefix }, { idle } or { delimiter }",
    ]);
    expect(problems({ device: "/dev/x", format: "regex", pattern: "(\\d+)" })).toEqual([
      "pattern: the pattern has no named group (?<name>…)",
    ]);
    expect(problems({ device: "/dev/x", framing: { delimiter: "\n", length: 3 } })[0]).toMatch(/^framing: /);
    expect(problems({ device: "/dev/x", max_line: "1KiB", framing: { length: 2048 } })).toEqual([
      "max_line: framing length 2048 is longer than max_line",
    ]);
  });
});

describe("serial check", () => {
  it("reports a replay file that cannot be read, and nothing for a device", async () => {
    const fixtures = join(import.meta.dirname, "../../fixtures/serial");
    const check = (options: Record<string, unknown>) => serial.checkFiles?.(serial.options.parse(options), fixtures);
    expect(await check({ file: "ardusub/nmea_log.txt" })).toEqual([]);
    expect(await check({ device: "/dev/serial/by-id/not-plugged-in" })).toEqual([]);
    expect(await check({ file: "missing.log" })).toEqual([
      {
        file: join(fixtures, "missing.log"),
        line: 1,
        col: 1,
        message: expect.stringMatching(/^cannot read the capture to replay: ENOENT/),
      },
    ]);
  });
});

describe("serial docs", () => {
  it("the README documents every option", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../../adapters/serial/README.md"), "utf8");
    const undocumented = Object.keys(serialOptions.shape).filter((key) => !readme.includes(`\`${key}\``));
    expect(undocumented).toEqual([]);
  });
});

describe("serial open errors", () => {
  it("a device that is not there: start() returns, the adapter is down saying so, and keeps retrying", async () => {
    const harness = new AdapterHarness();
    const adapter = harness.create(serial, { device: "/dev/serial/by-id/no-such-device", reconnect_min: 20, reconnect_max: 40 });
    await adapter.start();
    expect(harness.states.at(-1)).toMatchObject({
      state: "down",
      detail: expect.stringMatching(/^\/dev\/serial\/by-id\/no-such-device: device not present .*; reopening in \d+ ms$/),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.states.filter((s) => s.state === "connecting").length).toBeGreaterThan(1);
    await adapter.stop();
  });

  it("says what to do about permissions, a missing device and a busy one", () => {
    expect(describeSerialOpenError(new Error("Error: Permission denied, cannot open /dev/ttyUSB0"), "/dev/ttyUSB0")).toMatch(
      /permission denied on \/dev\/ttyUSB0: .*dialout: sudo usermod -aG dialout \S+ then log in again \(under systemd: SupplementaryGroups=dialout/,
    );
    expect(describeSerialOpenError(new Error("Error: No such file or directory, cannot open /dev/ttyUSB0"), "/dev/ttyUSB0")).toMatch(
      /device not present/,
    );
    expect(describeSerialOpenError(new Error("Error Resource temporarily unavailable Cannot lock port"), "/dev/ttyUSB0")).toMatch(
      /in use by another process/,
    );
    expect(describeSerialOpenError(Object.assign(new Error("busy"), { code: "EBUSY" }), "/dev/ttyS0")).toMatch(/in use by another process/);
    expect(describeSerialOpenError(new Error("Error: Input/output error, cannot open /dev/x"), "/dev/x")).toBe(
      "/dev/x: Input/output error, cannot open /dev/x",
    );
  });
});
