/**
 * A test-only adapter type for the config tests: its options have nested lists (devices → points),
 * units, an enum and a file to check, like a register-map adapter. It never starts.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { defineAdapter, type FileProblem } from "../../src/adapter-contract.js";
import { registerAdapter } from "../../src/adapters.js";
import { duration, size } from "../../src/config/units.js";

const point = z.strictObject({
  address: z.number().int().min(0).max(65_535).describe("Register address."),
  type: z.enum(["u16", "s16", "f32"]).default("u16").describe("Register encoding."),
  metric: z.string().min(1).describe("Metric name."),
});

const device = z.strictObject({
  unit: z.number().int().min(1).max(247).describe("Unit id."),
  name: z.string().optional().describe("Device name."),
  points: z.array(point).default([]).describe("Points read from this device."),
});

export const testBusOptions = z.strictObject({
  url: z.string().describe("Where the bus is."),
  password: z.string().optional().describe("A secret the bus needs."),
  poll_interval: duration().default(1000).describe("Poll period."),
  buffer: size().default(65_536).describe("Receive buffer."),
  devices: z.array(device).default([]).describe("Devices on the bus."),
  map_file: z.string().optional().describe("A register map file: checked by checkFiles."),
});

/** Reports each line of the map file that contains "bad", like a DBC parser would. */
async function checkFiles(options: z.output<typeof testBusOptions>, configDir: string): Promise<FileProblem[]> {
  if (!options.map_file) return [];
  const file = path.resolve(configDir, options.map_file);
  const text = await readFile(file, "utf8");
  return text.split("\n").flatMap((line, index) => {
    const col = line.indexOf("bad");
    return col < 0 ? [] : [{ file, line: index + 1, col: col + 1, message: `unknown register kind "${line.trim()}"` }];
  });
}

export const testBusAdapter = defineAdapter({
  type: "testbus",
  summary: "Test-only bus with devices and points.",
  options: testBusOptions,
  checkFiles,
  create() {
    return { start: async () => {}, stop: async () => {} };
  },
});

export function registerTestAdapter(): void {
  registerAdapter("testbus", async () => ({ default: testBusAdapter }));
}
