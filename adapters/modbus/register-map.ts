/**
 * Register maps: the schema of one point and of a map file, and their resolution into the
 * `RegisterPoint`s the planner and poller work with (0-based addresses, sizes, byte order).
 * Used by options.ts (points inline in the config) and map-file.ts (points in their own YAML).
 */
import { z } from "zod";
import { type ByteOrder, registerCount, VALUE_TYPES, type ValueType } from "./decode.js";

export const TABLES = ["holding", "input", "coil", "discrete"] as const;
export type Table = (typeof TABLES)[number];

export const BYTE_ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"] as const;

/** A register as the device reads it: only the protocol limits apply here, the planner does the rest. */
export interface RegisterPoint {
  /** Metric name, without the device's `name.` prefix. */
  name: string;
  table: Table;
  /** 0-based protocol address. */
  address: number;
  type: ValueType;
  /** Registers (holding/input) or bits (coil/discrete) the value spans. */
  size: number;
  bit?: number;
  /** For strings: the characters (bytes) that belong to the point; an odd length leaves the last low byte out. */
  length?: number;
  byteOrder: ByteOrder;
  scale: number;
  offset: number;
  unit?: string;
  /** Code → label: the point is emitted as its label, on change. */
  labels?: Map<number, string>;
  /** SunSpec: the name of the point whose value is this point's power-of-ten scale factor. */
  scaleFactorPoint?: string;
  /** SunSpec: the raw value meaning "not implemented" (skipped, not counted as bad). */
  notImplemented?: number | bigint | string;
  /** Read (e.g. a scale factor) but not emitted. */
  hidden?: boolean;
}

const order = z.enum([...BYTE_ORDERS, "big", "little"]);

const addressBase = z
  .union([z.literal(0), z.literal(1), z.literal("modicon")])
  .describe(
    "How `address` values are written: 0 = protocol addresses (0-based, the default), 1 = 1-based register numbers as many " +
      "manuals print them, modicon = 40001-style numbers whose leading digit names the table (0xxxx coil, 1xxxx discrete, " +
      "3xxxx input, 4xxxx holding; 6-digit 400001 also accepted)",
  );

export const pointSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "letters, digits, _ . - only")
      .describe("Metric name (the adapter prefix and device name are added in front)"),
    table: z
      .enum(TABLES)
      .optional()
      .describe("Register table: holding, input, coil or discrete (default holding; modicon addresses imply it)"),
    address: z.number().int().nonnegative().describe("Register or bit address, written according to address_base"),
    type: z
      .enum(VALUE_TYPES)
      .optional()
      .describe("Value type (default uint16 for registers, bool for coils/discrete inputs); bit = one bit of a register, see `bit`"),
    length: z.number().int().positive().max(250).optional().describe("For type string: the number of characters (two per register)"),
    bit: z.number().int().min(0).max(15).optional().describe("For type bit: the bit of the register, 0 = least significant"),
    byte_order: order
      .optional()
      .describe("ABCD (default), CDAB (word swap), BADC (byte swap) or DCBA; or big/little for the bytes in a register"),
    word_order: z
      .enum(["big", "little"])
      .optional()
      .describe("big (default) or little: register order of 32/64-bit values, with byte_order big/little"),
    scale: z.number().optional().describe("Multiplier applied to numbers: value * scale + offset"),
    offset: z.number().optional().describe("Added after scale"),
    unit: z.string().max(32).optional().describe("Unit, sent as the `unit` tag"),
    values: z
      .record(z.string().regex(/^-?\d+$/, "value map keys are integer codes"), z.string())
      .optional()
      .describe("Code → label map; the point is then emitted as its label, as an event, when it changes"),
  })
  .superRefine((point, ctx) => {
    if (point.type === "string" && point.length === undefined)
      ctx.addIssue({ code: "custom", path: ["length"], message: "type string needs a length (characters)" });
    if (point.type === "bit" && point.bit === undefined)
      ctx.addIssue({ code: "custom", path: ["bit"], message: "type bit needs `bit` (0-15)" });
    if (point.word_order && point.byte_order && point.byte_order.length === 4)
      ctx.addIssue({
        code: "custom",
        path: ["word_order"],
        message: "word_order goes with byte_order big/little; ABCD-style byte_order already says it",
      });
  });
export type PointConfig = z.output<typeof pointSchema>;

/** Defaults a map file or a device may declare for all its points. */
export const mapDefaultsShape = {
  address_base: addressBase.optional(),
  byte_order: order.optional().describe("Default byte_order for every point (ABCD unless set)"),
  word_order: z.enum(["big", "little"]).optional().describe("Default word_order, with byte_order big/little"),
};

export const mapFileSchema = z.strictObject({
  ...mapDefaultsShape,
  description: z.string().optional().describe("Free text: which device this map is for"),
  points: z.array(pointSchema).min(1).describe("The points of the map"),
});
export type MapFile = z.output<typeof mapFileSchema>;

export interface MapDefaults {
  address_base?: 0 | 1 | "modicon";
  byte_order?: z.output<typeof order>;
  word_order?: "big" | "little";
}

const MODICON_TABLES: Record<string, Table> = { "0": "coil", "1": "discrete", "3": "input", "4": "holding" };

/** Resolves a configured point against defaults into a RegisterPoint, or throws with a message naming the point. */
export function resolvePoint(point: PointConfig, defaults: MapDefaults = {}): RegisterPoint {
  if (defaults.address_base === undefined) {
    const hint = modiconHint(point);
    if (hint) throw new Error(hint);
  }
  const base = defaults.address_base ?? 0;
  let table = point.table;
  let address = point.address;
  if (base === 1) {
    if (address < 1) throw new Error(`${point.name}: address ${address} is below 1 with address_base 1`);
    address -= 1;
  } else if (base === "modicon") {
    const digits = String(point.address);
    const prefix = digits.length >= 5 ? digits[0] : "0";
    const implied = MODICON_TABLES[prefix];
    if (!implied) throw new Error(`${point.name}: ${point.address} is not a 0xxxx/1xxxx/3xxxx/4xxxx address`);
    const number = digits.length >= 5 ? Number(digits.slice(1)) : point.address;
    if (number < 1) throw new Error(`${point.name}: ${point.address} has no register number after the table digit`);
    if (table && table !== implied)
      throw new Error(`${point.name}: table ${table} contradicts modicon address ${point.address} (${implied})`);
    table = implied;
    address = number - 1;
  }
  table ??= "holding";
  const bitTable = table === "coil" || table === "discrete";
  const type: ValueType = point.type ?? (bitTable ? "bool" : "uint16");
  if (bitTable && type !== "bool") throw new Error(`${point.name}: ${table} points are single bits; use type bool`);
  const size = bitTable ? 1 : registerCount(type, point.length);
  if (address + size > 65536) throw new Error(`${point.name}: address ${address} + ${size} passes the end of the 65536-entry table`);
  return {
    name: point.name,
    table,
    address,
    type,
    size,
    bit: point.bit,
    length: type === "string" ? point.length : undefined,
    byteOrder: byteOrderOf(point.byte_order ?? defaults.byte_order, point.word_order ?? defaults.word_order),
    scale: point.scale ?? 1,
    offset: point.offset ?? 0,
    unit: point.unit,
    labels: point.values ? new Map(Object.entries(point.values).map(([code, label]) => [Number(code), label])) : undefined,
  };
}

/**
 * Manuals print holding register 1 as 40001 and input register 1 as 30001. Read as a protocol
 * address (the default base 0) such a number polls some other register, or fails on the device:
 * without an explicit address_base it is refused, saying which base to write.
 */
function modiconHint(point: PointConfig): string | undefined {
  const { address } = point;
  const holding = (address >= 40001 && address <= 49999) || (address >= 400001 && address <= 465536);
  const input = (address >= 30001 && address <= 39999) || (address >= 300001 && address <= 365536);
  const table = holding && (point.table ?? "holding") === "holding" ? "holding" : input && point.table === "input" ? "input" : undefined;
  if (!table) return undefined;
  const register = address % (address >= 100000 ? 100000 : 10000);
  return (
    `${point.name}: address ${address} looks like a Modicon number (${table} register ${register}); ` +
    `write address_base: modicon, or address_base: 0 if ${address} is the protocol address`
  );
}

/** Combines the two notations: ABCD-style stands alone; big/little bytes combine with big/little words. */
export function byteOrderOf(bytes: z.output<typeof order> | undefined, words: "big" | "little" | undefined): ByteOrder {
  if (bytes && bytes !== "big" && bytes !== "little") return bytes;
  const bytesLittle = bytes === "little";
  const wordsLittle = words === "little";
  if (bytesLittle) return wordsLittle ? "DCBA" : "BADC";
  return wordsLittle ? "CDAB" : "ABCD";
}

/** Resolves a whole list, reporting duplicate names (two points would share one series). */
export function resolvePoints(points: PointConfig[], defaults: MapDefaults = {}): RegisterPoint[] {
  const seen = new Set<string>();
  return points.map((point) => {
    if (seen.has(point.name)) throw new Error(`${point.name}: duplicate point name`);
    seen.add(point.name);
    return resolvePoint(point, defaults);
  });
}
