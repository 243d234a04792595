/**
 * proto2 messages from a schema table (sparkplug-schema.ts), decoded and encoded with the semantics
 * of protobufjs, which the callers were written against:
 * - a decoded message is an instance whose prototype holds the defaults, so an absent field reads
 *   as 0, "", false, empty bytes, while Object.hasOwn tells whether it was on the wire (proto2 presence);
 *   repeated fields are own arrays, empty when absent; absent message fields are undefined;
 * - a oneof's name (e.g. `value`) holds the name of the member that was set; the last one on the wire
 *   wins and clears the others;
 * - a singular message field that occurs twice is merged, repeated scalars are read packed or not;
 * - fields the schema does not know, or with another wire type than the schema's, are skipped
 *   (forward compatibility, as protoc's parsers do); encoding follows field numbers, writes what the
 *   object owns (null and undefined are absent) and repeated scalars unpacked, as proto2 says.
 */
import {
  MAX_DEPTH,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH,
  WIRE_VARINT,
  WireFormatError,
  type WireReader,
  type WireWriter,
} from "./protobuf-wire.js";

export type FieldKind = "uint32" | "uint64" | "float" | "double" | "bool" | "string" | "bytes" | "message";

export interface FieldSpec {
  number: number;
  /** camelCase, as protobufjs names it. */
  name: string;
  kind: FieldKind;
  repeated?: boolean;
  /** The oneof this field belongs to. */
  oneof?: string;
  /** For kind "message": the name of the message type in the same schema. */
  type?: string;
}

export type Message = Record<string, unknown>;

export interface MessageType {
  readonly name: string;
  /** Sorted by field number (the encoding order). */
  readonly fields: readonly Field[];
  readonly byNumber: readonly (Field | undefined)[];
  create(): Message;
}

interface Field extends FieldSpec {
  readonly code: number;
  readonly wireType: number;
  /** Resolved after every type of the schema exists (messages nest recursively). */
  message?: MessageType;
}

// Kind codes: a switch over small integers is what keeps the table-driven decoder fast.
const UINT32 = 0;
const UINT64 = 1;
const FLOAT = 2;
const DOUBLE = 3;
const BOOL = 4;
const STRING = 5;
const BYTES = 6;
const MESSAGE = 7;

const CODES: Record<FieldKind, number> = {
  uint32: UINT32,
  uint64: UINT64,
  float: FLOAT,
  double: DOUBLE,
  bool: BOOL,
  string: STRING,
  bytes: BYTES,
  message: MESSAGE,
};
const WIRE_TYPES = [WIRE_VARINT, WIRE_VARINT, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT, WIRE_LENGTH, WIRE_LENGTH, WIRE_LENGTH];
const DEFAULTS: unknown[] = [0, 0, 0, 0, false, "", new Uint8Array(0), undefined];

/** Builds the message types of one schema; field `type` names refer to its keys. */
export function defineSchema<K extends string>(specs: Record<K, FieldSpec[]>): Record<K, MessageType> {
  const types = {} as Record<K, MessageType>;
  const all: Field[] = [];
  for (const name of Object.keys(specs) as K[]) {
    const fields: Field[] = specs[name]
      .map((spec) => ({ ...spec, code: CODES[spec.kind], wireType: WIRE_TYPES[CODES[spec.kind]] }))
      .sort((a, b) => a.number - b.number);
    all.push(...fields);
    const byNumber: (Field | undefined)[] = [];
    for (const field of fields) byNumber[field.number] = field;
    const repeated = fields.filter((f) => f.repeated).map((f) => f.name);
    // A class per message type: instances share one shape, and the prototype carries the defaults.
    const Instance = class {
      constructor() {
        for (const list of repeated) (this as Message)[list] = [];
      }
    };
    Object.defineProperty(Instance, "name", { value: name }); // what a debugger or console.log shows
    for (const field of fields)
      if (!field.repeated && field.code !== MESSAGE) (Instance.prototype as Message)[field.name] = DEFAULTS[field.code];
    types[name] = { name, fields, byNumber: Array.from(byNumber), create: () => new Instance() as Message };
  }
  for (const field of all) {
    if (field.code !== MESSAGE) continue;
    const target = field.type !== undefined ? types[field.type as K] : undefined;
    if (!target) throw new Error(`field ${field.name}: unknown message type ${field.type}`);
    field.message = target;
  }
  return types;
}

/** Decodes a message ending at `end`, into `into` when a singular message field repeats (a merge). */
export function decodeMessage(r: WireReader, type: MessageType, end: number, depth: number, into?: Message): Message {
  if (depth > MAX_DEPTH) throw new WireFormatError(`nesting deeper than ${MAX_DEPTH} at offset ${r.pos}`);
  const m = into ?? type.create();
  const outer = r.limit;
  r.limit = end;
  const byNumber = type.byNumber;
  while (r.pos < end) {
    const tag = r.tag();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = number < byNumber.length ? byNumber[number] : undefined;
    if (field === undefined) {
      r.skip(wireType, number, depth);
      continue;
    }
    if (wireType !== field.wireType) {
      if (field.repeated && wireType === WIRE_LENGTH && field.code <= BOOL) readPacked(r, field, m[field.name] as unknown[]);
      else r.skip(wireType, number, depth);
      continue;
    }
    if (field.repeated) {
      (m[field.name] as unknown[]).push(field.code === MESSAGE ? nested(r, field, depth) : readScalar(r, field.code));
      continue;
    }
    if (field.code === MESSAGE)
      m[field.name] = nested(r, field, depth, Object.hasOwn(m, field.name) ? (m[field.name] as Message) : undefined);
    else m[field.name] = readScalar(r, field.code);
    if (field.oneof !== undefined) {
      const previous = m[field.oneof];
      if (previous !== undefined && previous !== field.name) delete m[previous as string];
      m[field.oneof] = field.name;
    }
  }
  r.limit = outer;
  return m;
}

function nested(r: WireReader, field: Field, depth: number, into?: Message): Message {
  const end = r.lengthEnd();
  return decodeMessage(r, field.message as MessageType, end, depth + 1, into);
}

function readPacked(r: WireReader, field: Field, list: unknown[]): void {
  const end = r.lengthEnd();
  const outer = r.limit;
  r.limit = end;
  while (r.pos < end) list.push(readScalar(r, field.code));
  r.limit = outer;
}

function readScalar(r: WireReader, code: number): unknown {
  switch (code) {
    case UINT32:
      return r.uint32();
    case UINT64:
      return r.uint64();
    case FLOAT:
      return r.float();
    case DOUBLE:
      return r.double();
    case BOOL:
      return r.bool();
    case STRING:
      return r.string();
    default:
      return r.bytes();
  }
}

/** Encodes a plain object (or a decoded message); `path` names it in errors. */
export function encodeMessage(w: WireWriter, type: MessageType, object: Message, path: string): void {
  for (const field of type.fields) {
    if (!Object.hasOwn(object, field.name)) continue;
    const value = object[field.name];
    if (value === null || value === undefined) continue;
    if (!field.repeated) {
      writeField(w, field, value, path);
      continue;
    }
    if (!Array.isArray(value)) throw new TypeError(`${path}.${field.name}: array expected`);
    for (const item of value) writeField(w, field, item, path);
  }
}

function writeField(w: WireWriter, field: Field, value: unknown, path: string): void {
  w.tag(field.number, field.wireType);
  switch (field.code) {
    case UINT32:
      w.uint32((value as number) >>> 0);
      return;
    case UINT64: {
      const [low, high] = uint64Bits(value, `${path}.${field.name}`);
      w.uint64(low, high);
      return;
    }
    case FLOAT:
      w.float(Number(value));
      return;
    case DOUBLE:
      w.double(Number(value));
      return;
    case BOOL:
      w.uint32(value ? 1 : 0);
      return;
    case STRING:
      w.string(String(value));
      return;
    case BYTES:
      w.bytes(bytesOf(value, `${path}.${field.name}`));
      return;
    default: {
      if (typeof value !== "object") throw new TypeError(`${path}.${field.name}: object expected`);
      const type = field.message as MessageType;
      w.delimited(() => encodeMessage(w, type, value as Message, `${path}.${field.name}`));
    }
  }
}

const TWO_32 = 4294967296;

/**
 * A 64-bit value's unsigned halves from what callers pass: a number (truncated, NaN as 0, saturated
 * at 2^64 - 1, as protobufjs does), a decimal string, a bigint, or {low, high} (a Long). Negative
 * values become two's complement, as Sparkplug encoders write an Int64 into the uint64 long_value
 * (values.ts reads it back signed); protobufjs 8 writes 0 for a negative number, which loses it.
 */
function uint64Bits(value: unknown, path: string): [number, number] {
  if (typeof value === "number") {
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      const whole = Math.trunc(value);
      return [whole % TWO_32, Math.floor(whole / TWO_32)];
    }
    if (Number.isNaN(value)) return [0, 0];
    if (value >= 2 ** 64) return [0xffffffff, 0xffffffff];
    if (value <= -(2 ** 63)) return [0, 0x80000000];
    return bigintBits(BigInt(Math.trunc(value)));
  }
  if (typeof value === "bigint") return bigintBits(value);
  if (typeof value === "string") {
    if (!/^\s*-?\d+\s*$/.test(value)) throw new TypeError(`${path}: not a decimal integer: ${JSON.stringify(value)}`);
    return bigintBits(BigInt(value.trim()));
  }
  if (typeof value === "object" && value !== null && "low" in value && "high" in value) {
    return [(value as { low: number }).low >>> 0, (value as { high: number }).high >>> 0];
  }
  throw new TypeError(`${path}: a 64-bit integer expected (number, decimal string, bigint or {low, high})`);
}

function bigintBits(value: bigint): [number, number] {
  const bits = BigInt.asUintN(64, value);
  return [Number(bits & 0xffffffffn), Number(bits >> 32n)];
}

function bytesOf(value: unknown, path: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  // protobufjs reads a string in a bytes field as base64 (its JSON form).
  if (typeof value === "string") return Buffer.from(value, "base64");
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new TypeError(`${path}: bytes expected (Uint8Array, number[] or base64)`);
}
