/**
 * Options of the serial adapter: the port (or a capture to replay), how bytes become frames, and
 * how frames become points (`format`). Light on purpose: the config schema loads this file, so
 * no serialport here.
 */
import { z } from "zod";
import { duration, size } from "../../src/config/units.js";
import { TIMESTAMP_FORMATS } from "../../src/decoding/json-fields.js";
import { layoutFieldSchema } from "../../src/decoding/typed-field-schema.js";

export const FORMATS = ["nmea", "lines", "csv", "json", "regex", "binary"] as const;

const framingSchema = z
  .union(
    [
      z.strictObject({
        delimiter: z.string().min(1).describe('Frames end with this string, e.g. "\\r\\n" (YAML double quotes for escapes)'),
      }),
      z.strictObject({ regex: z.string().min(1).describe("A frame is a match of this regex; bytes between matches are skipped") }),
      z.strictObject({ length: z.number().int().min(1).describe("Every frame is this many bytes") }),
      z.strictObject({
        length_prefix: z.enum(["uint8", "uint16be", "uint16le"]).describe("Each frame starts with its payload length in this type"),
      }),
      z.strictObject({ idle: duration().describe("A frame ends when the line stays quiet this long, e.g. 20ms") }),
    ],
    { error: "framing is one of { delimiter }, { regex }, { length }, { length_prefix } or { idle }" },
  )
  .optional()
  .describe('How bytes become frames. Default for the text formats: { delimiter: "\\n" } (a CR before it is dropped); binary must say');

export const columnSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .describe("Metric name (csv: the column's name; lines: the key; regex: the named group); the adapter's prefix is added"),
  type: z
    .enum(["number", "string", "skip"])
    .default("number")
    .describe("number (scaled, counted as bad_values when it does not parse), string (sent as an event) or skip"),
  scale: z.number().default(1).describe("Multiplier applied to numbers: value * scale + add"),
  add: z.number().default(0).describe("Added after scale"),
  unit: z.string().max(32).optional().describe("Unit, sent as the `unit` tag"),
});
export type ColumnOptions = z.output<typeof columnSchema>;

const pollSchema = z.strictObject({
  write: z.string().min(1).describe('The request written at each interval, e.g. "SI\\r\\n" for a scale'),
  interval: duration().default(1000).describe("How often the request is written"),
  timeout: duration().default(500).describe("How long to wait for an answer before counting poll_timeouts"),
});

export const serialOptions = z
  .strictObject({
    device: z
      .string()
      .min(1)
      .optional()
      .describe("The serial device, preferably its stable /dev/serial/by-id/… path (survives replugging into another port)"),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Instead of device: a capture of the port's bytes to replay (relative to the config file), through the same framing and format",
      ),
    baud: z
      .number()
      .int()
      .positive()
      .default(9600)
      .describe("Line speed in bit/s (also paces a replay at speed 1 in formats other than nmea)"),
    data_bits: z
      .union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)])
      .default(8)
      .describe("Data bits per character"),
    parity: z.enum(["none", "even", "odd", "mark", "space"]).default("none").describe("Parity bit"),
    stop_bits: z
      .union([z.literal(1), z.literal(1.5), z.literal(2)])
      .default(1)
      .describe("Stop bits"),
    rtscts: z.boolean().default(false).describe("RTS/CTS hardware flow control"),
    xon: z.boolean().default(false).describe("XON/XOFF software flow control"),
    format: z.enum(FORMATS).default("nmea").describe("How a frame becomes points: nmea | lines | csv | json | regex | binary"),
    framing: framingSchema,
    max_line: size()
      .default(4096)
      .describe("Longest frame kept; a longer one is counted (overlong_frames) and skipped, never buffered without bound"),
    init: z.array(z.string()).default([]).describe("Strings written, in order, after each open (configuration commands for the device)"),
    poll: pollSchema.optional().describe("For request/response instruments: write a request at an interval and wait for the answer"),
    speed: z
      .union([z.number().positive(), z.literal("max")], { error: 'speed must be a positive number (1 = real time) or "max"' })
      .default(1)
      .describe("Replay pace: 1 = real time, N = N times faster, max = as fast as the queue takes it"),
    loop: z.boolean().default(false).describe("Replay: start again at the end of the file"),
    reconnect_min: duration().default(500).describe("First delay before reopening a port that failed or vanished"),
    reconnect_max: duration().default(30_000).describe("Longest such delay (it doubles, with jitter, up to this)"),

    require_checksum: z.boolean().default(true).describe("nmea: drop sentences without a *hh checksum (counted as missing_checksums)"),
    proprietary: z
      .enum(["count", "event"])
      .default("count")
      .describe("nmea: proprietary sentences ($P…) are only counted, or also sent as raw events proprietary.<address>"),
    time_source: z
      .enum(["bridge", "gps"])
      .default("bridge")
      .describe("nmea: stamp points with the bridge's clock, or with the receiver's UTC (RMC/ZDA date + sentence time)"),

    separator: z
      .string()
      .min(1)
      .optional()
      .describe("lines: between key/value pairs (default: any run of spaces, commas, semicolons or tabs); csv: between fields (default ,)"),
    columns: z
      .array(columnSchema)
      .optional()
      .describe("csv: the columns in order (else the header row names them); lines and regex: type/scale/unit per key or group"),
    pattern: z.string().min(1).optional().describe("regex: a pattern with named groups, e.g. T=(?<temp>-?\\d+\\.\\d+)"),
    fields: z.array(layoutFieldSchema).optional().describe("binary: the frame's layout, one entry per field"),
    json_fields: z.array(z.string()).optional().describe("json: leaf-path globs to keep (`*.Temperature`, `**.t`); default every leaf"),
    timestamp_field: z.string().optional().describe("json: the path of the document's timestamp, which stamps its points"),
    timestamp_format: z.enum(TIMESTAMP_FORMATS).default("iso").describe("json: how timestamp_field is written"),
    numeric_strings: z.boolean().default(false).describe('json: "21.5" becomes the number 21.5 instead of an event'),
  })
  .superRefine((options, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (!options.device === !options.file) issue("device", "give either device (a serial port) or file (a capture to replay)");
    if (options.file && (options.init.length > 0 || options.poll)) issue("file", "init and poll write to a device: a replay has none");
    if (options.format === "regex") {
      if (!options.pattern) issue("pattern", "format: regex needs pattern (with named groups)");
      else {
        try {
          if (!/\(\?<[A-Za-z_]\w*>/.test(options.pattern)) issue("pattern", "the pattern has no named group (?<name>…)");
          new RegExp(options.pattern);
        } catch (error) {
          issue("pattern", (error as Error).message);
        }
      }
    }
    if (options.framing && "regex" in options.framing) {
      try {
        new RegExp(options.framing.regex);
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["framing", "regex"], message: (error as Error).message });
      }
    }
    if (options.format === "binary" && !options.fields?.length) issue("fields", "format: binary needs fields (the frame layout)");
    if (options.format === "binary" && !options.framing)
      issue("framing", "format: binary needs framing: { length }, { length_prefix }, { idle } or { delimiter }");
    if (options.framing && "length" in options.framing && options.framing.length > options.max_line)
      issue("max_line", `framing length ${options.framing.length} is longer than max_line`);
    const names = new Set<string>();
    for (const column of options.columns ?? []) {
      if (names.has(column.name)) issue("columns", `${column.name}: duplicate column name`);
      names.add(column.name);
    }
  });

export type SerialOptions = z.output<typeof serialOptions>;
