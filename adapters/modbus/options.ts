/**
 * Options of the modbus adapter: one connection (`url`) and the devices (unit ids) behind it.
 * Light on purpose: the config schema loads this file, so no modbus-serial here.
 */
import { z } from "zod";
import { duration } from "../../src/config/units.js";
import { mapDefaultsShape, pointSchema, resolvePoint } from "./register-map.js";

const URL_PATTERN = /^(tcp|rtu|rtu\+tcp):\/\//;

export const deviceSchema = z
  .strictObject({
    unit_id: z.number().int().min(0).max(255).describe("Modbus unit (slave) id; TCP gateways often ignore it, serial buses need it"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/)
      .optional()
      .describe("Prefix for this device's metrics (`<name>.<point>`); leave out to use the point names alone"),
    interval: duration().optional().describe("Poll interval of this device (default: the adapter's `interval`)"),
    points: z.array(pointSchema).optional().describe("The register map, inline"),
    map: z.string().optional().describe("A register map YAML file (relative to the config file), shared by many devices"),
    sunspec: z.boolean().default(false).describe("Discover SunSpec models (probes SunS at 40000, 0 and 50000) and poll the known ones"),
    max_registers_per_read: z
      .number()
      .int()
      .min(1)
      .max(125)
      .default(125)
      .describe("Largest register read this device accepts (some answer exceptions above 32 or 64)"),
    max_bits_per_read: z.number().int().min(1).max(2000).default(2000).describe("Largest coil/discrete read this device accepts"),
    tags: z
      .record(z.string(), z.string())
      .refine((tags) => Object.keys(tags).length <= 14, "at most 14 tags: unit_id and unit are added and a point carries at most 16")
      .optional()
      .describe("Extra tags on this device's points (unit_id and the point's unit are added)"),
    ...mapDefaultsShape,
  })
  .superRefine((device, ctx) => {
    if (!device.points && !device.map && !device.sunspec)
      ctx.addIssue({ code: "custom", path: ["points"], message: "a device needs points, a map file or sunspec: true" });
    if (device.points && device.map) ctx.addIssue({ code: "custom", path: ["map"], message: "give either points or map, not both" });
    const names = new Set<string>();
    device.points?.forEach((point, i) => {
      // Addresses and names are checked here so `check` reports them, not start().
      try {
        if (names.has(point.name)) throw new Error(`${point.name}: duplicate point name`);
        names.add(point.name);
        const resolved = resolvePoint(point, device);
        const registers = resolved.table === "holding" || resolved.table === "input";
        if (registers && resolved.size > device.max_registers_per_read)
          throw new Error(
            `${point.name}: ${resolved.size} registers do not fit in one read of at most ${device.max_registers_per_read} (max_registers_per_read)`,
          );
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["points", i], message: (error as Error).message });
      }
    });
  });
export type DeviceOptions = z.output<typeof deviceSchema>;

export const modbusOptions = z.strictObject({
  url: z
    .string()
    .regex(URL_PATTERN, "expected tcp://host:port, rtu:///dev/ttyUSB0?baud=9600&parity=even&stop_bits=1 or rtu+tcp://host:port")
    .describe(
      "Connection: tcp://host[:502], rtu:///dev/ttyUSB0?baud=9600&parity=none|even|odd&stop_bits=1|2&data_bits=8, " +
        "or rtu+tcp://host:port for RTU framing through a serial-to-Ethernet converter",
    ),
  devices: z.array(deviceSchema).min(1).describe("The devices (unit ids) on this connection, each with its map and interval"),
  interval: duration().default(1000).describe("Default poll interval of every device; runtime-tunable"),
  timeout: duration().default(1000).describe("How long to wait for one answer"),
  retries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(1)
    .describe("Repeats of a request that timed out before the device counts as not answering"),
  request_gap: duration()
    .optional()
    .describe("Quiet time between two requests on the link (default 0 on TCP, 20ms on RTU, where slow devices need it)"),
  max_gap: z
    .number()
    .int()
    .min(0)
    .max(124)
    .default(8)
    .describe("Unused registers (or bits) allowed between two points merged into one read; 0 merges only adjacent points"),
  coalesce: z.boolean().default(true).describe("Merge neighbouring points into as few reads as possible; false = one read per point"),
  reconnect_min: duration()
    .default(500)
    .describe("First delay before reconnecting a dropped link or retrying a device that stopped answering"),
  reconnect_max: duration().default(30_000).describe("Longest such delay (the delay doubles, with jitter, up to this)"),
});
export type ModbusOptions = z.output<typeof modbusOptions>;
