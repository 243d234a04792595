/** Options of the `ble` adapter. Light on purpose: the config schema imports this for every config. */
import { z } from "zod";
import { duration } from "../../src/config/units.js";
import { layoutFieldSchema } from "../../src/decoding/typed-field-schema.js";
import { STANDARD_CHARACTERISTICS, shortUuid } from "./decoders/gatt.js";

export const DECODERS = ["bthome", "ruuvi", "xiaomi", "ibeacon", "eddystone"] as const;
export type DecoderName = (typeof DECODERS)[number];

const ADDRESS = /^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/;
const address = () => z.string().regex(ADDRESS, 'a Bluetooth address like "c8:25:2d:8e:9c:2c"');
const deviceName = () =>
  z
    .string()
    .regex(/^[a-z0-9_]+$/, "lower-case letters, digits and _ (it becomes part of metric names)")
    .max(64);
const uuid = () =>
  z
    .string()
    .regex(
      /^(0x)?[0-9a-fA-F]{4}$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      "a 16-bit UUID (180d) or a 128-bit one",
    );

const device = z.strictObject({
  address: address().describe("The device's Bluetooth address."),
  name: deviceName().optional().describe("Name used in metric names (default: the address in lower case without colons)."),
  bindkey: z
    .string()
    .regex(/^\s*([0-9a-fA-F]{24}|[0-9a-fA-F]{32})\s*$/, "a bindkey is 32 hex digits (16 bytes; 24 for Xiaomi MiBeacon v2/v3)")
    .optional()
    .describe(
      "AES key of an encrypted BTHome or Xiaomi device (32 hex digits; 24 for Xiaomi MiBeacon v2/v3); use !file to keep it out of the config.",
    ),
});

const notify = z.strictObject({
  service: uuid().describe("Service UUID, e.g. 180d."),
  characteristic: uuid().describe(
    "Characteristic UUID, e.g. 2a37. Standard ones (2a37, 2a19, 2a6e, 2a6f, 2a6d, 2a5b) decode without `fields`.",
  ),
  fields: z
    .array(layoutFieldSchema)
    .min(1)
    .optional()
    .describe("For a custom characteristic: its binary layout (name, offset, type, byte_order, scale, add, unit)."),
});

const gattDevice = z.strictObject({
  address: address().describe("The peripheral to connect to."),
  name: deviceName().optional().describe("Name used in metric names (default: the address without colons)."),
  notify: z.array(notify).min(1).describe("Characteristics to subscribe to (notifications or indications)."),
});

export const bleOptions = z
  .strictObject({
    interface: z
      .string()
      .regex(/^(hci\d+|hcidump)$/, "hci0, hci1… or hcidump")
      .default("hci0")
      .describe("The Bluetooth adapter (hci0), or hcidump to replay a capture made with `hcidump -R` or `-X`."),
    file: z.string().optional().describe("hcidump: the capture file, relative to the config file."),
    speed: z
      .union([z.number().positive(), z.literal("max")], { error: 'speed must be a positive number or "max"' })
      .default(1)
      .describe(
        "hcidump: replay pace: 1 = capture time (a capture without -t timestamps plays one report per `interval`), max = as fast as the queue takes it.",
      ),
    interval: duration().default(100).describe("hcidump: time between reports of a capture without timestamps, at speed 1."),
    loop: z.boolean().default(false).describe("hcidump: start again at the end of the capture."),
    devices: z
      .array(device)
      .default([])
      .describe("Allow-list with names and keys. Empty: every device whose advertisement a decoder recognises."),
    decoders: z
      .array(z.enum(DECODERS))
      .min(1)
      .default([...DECODERS])
      .describe("Advertisement formats to decode."),
    rssi: z.boolean().default(true).describe("Send each device's RSSI as `<device>.rssi`, at most once per rssi_interval."),
    rssi_interval: duration().default(10_000).describe("Least time between two RSSI values of one device."),
    presence_timeout: duration()
      .default(60_000)
      .describe(
        "An event `<device>.presence` = lost when a device is not heard for this long, and = back when it returns; 0 turns it off.",
      ),
    dedup_window: duration()
      .default(1000)
      .describe("The same payload from the same device within this window is a duplicate and dropped (devices repeat each packet)."),
    gatt: z.array(gattDevice).default([]).describe("Devices to connect to and subscribe to notifications from (live interface only)."),
    max_connections: z.number().int().min(1).max(16).default(4).describe("GATT connections open at once."),
    reconnect_min: duration().default(1000).describe("First wait before retrying the adapter or a GATT connection."),
    reconnect_max: duration().default(60_000).describe("Longest wait between retries (the wait doubles, with jitter)."),
  })
  .superRefine((options, ctx) => {
    if (options.interface === "hcidump" && !options.file)
      ctx.addIssue({ code: "custom", path: ["file"], message: "interface: hcidump needs file (a capture made with hcidump -R or -X)" });
    if (options.interface === "hcidump" && options.gatt.length > 0)
      ctx.addIssue({ code: "custom", path: ["gatt"], message: "gatt needs a live interface (hci0), not a replay" });
    if (options.gatt.length > options.max_connections)
      ctx.addIssue({
        code: "custom",
        path: ["gatt"],
        message: `${options.gatt.length} gatt devices but max_connections is ${options.max_connections}`,
      });
    if (options.reconnect_max < options.reconnect_min)
      ctx.addIssue({ code: "custom", path: ["reconnect_max"], message: "reconnect_max must be at least reconnect_min" });
    options.gatt.forEach((device, i) => {
      device.notify.forEach((notify, j) => {
        if (!notify.fields && !STANDARD_CHARACTERISTICS[shortUuid(notify.characteristic)]) {
          ctx.addIssue({
            code: "custom",
            path: ["gatt", i, "notify", j, "characteristic"],
            message: `${notify.characteristic} is not a standard characteristic this adapter decodes (${Object.keys(STANDARD_CHARACTERISTICS).join(", ")}): give its fields`,
          });
        }
      });
    });
    const seen = new Set<string>();
    options.devices.forEach((d, i) => {
      const key = d.address.replace(/[:-]/g, "").toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["devices", i, "address"], message: `${d.address} is listed twice` });
      seen.add(key);
    });
  });

export type BleOptions = z.output<typeof bleOptions>;
