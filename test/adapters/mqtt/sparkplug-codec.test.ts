/**
 * Our Sparkplug B codec against protobufjs, the reference it replaced (a devDependency now): the
 * schema table against the official .proto, every vector decoded field by field, what callers
 * encode byte for byte, and truncated or mutated vectors, where both must agree on what is valid.
 */
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { decodeSparkplug, encodeSparkplug, type SparkplugPayload, WireFormatError } from "../../../adapters/mqtt/sparkplug/codec.js";
import { rebirthPayload } from "../../../adapters/mqtt/sparkplug/host.js";
import { sparkplugTypes } from "../../../adapters/mqtt/sparkplug/sparkplug-schema.js";
import { seededRandom as random } from "../../helpers/seeded-random.js";
import { fieldView, ReferencePayload, referenceEncode } from "./protobuf-reference.js";
import { payloadOf, sparkplugVectors } from "./vectors.js";

const vectors = sparkplugVectors.filter((v) => v.message_type !== "STATE").map((v) => ({ name: v.name, bytes: payloadOf(v.name) }));

const ours = (bytes: Uint8Array) => fieldView(decodeSparkplug(bytes) as unknown as Record<string, unknown>);
const reference = (bytes: Uint8Array) => fieldView(ReferencePayload.decode(bytes) as unknown as Record<string, unknown>);

describe("Sparkplug B codec against protobufjs", () => {
  it("the schema table is sparkplug_b.proto's: every message, field number, type, label and oneof", () => {
    const seen = new Set<string>();
    const walk = (type: protobuf.Type) => {
      // The four *ValueExtension messages have no fields: one empty type serves them.
      const ourName = type.name.endsWith("Extension") ? "Extension" : type.name;
      if (seen.has(type.fullName)) return;
      seen.add(type.fullName);
      const table = sparkplugTypes[ourName as keyof typeof sparkplugTypes];
      expect(table, type.fullName).toBeDefined();
      const fromProto = type.fieldsArray
        .map((field) => {
          field.resolve();
          const message = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
          return {
            number: field.id,
            name: field.name,
            kind: message ? "message" : field.type,
            repeated: field.repeated,
            oneof: field.partOf?.name,
            type: message ? (message.name.endsWith("Extension") ? "Extension" : message.name) : undefined,
          };
        })
        .sort((a, b) => a.number - b.number);
      const fromTable = table.fields.map((f) => ({
        number: f.number,
        name: f.name,
        kind: f.kind,
        repeated: f.repeated ?? false,
        oneof: f.oneof,
        type: f.type,
      }));
      expect(fromTable, type.fullName).toEqual(fromProto);
      for (const field of type.fieldsArray) if (field.resolvedType instanceof protobuf.Type) walk(field.resolvedType);
    };
    walk(ReferencePayload);
    expect(seen.size).toBe(15); // Payload and its 14 nested messages
  });

  it("has the 16 protobuf vectors", () => expect(vectors.length).toBe(16));

  for (const v of vectors) {
    it(`decodes ${v.name} field by field as protobufjs does`, () => {
      expect(ours(v.bytes)).toEqual(reference(v.bytes));
    });
  }

  /** What the bridge, its tests and its benchmark encode, and more shapes callers may pass. */
  const encoded: [string, Record<string, unknown>][] = [
    ["the rebirth NCMD (adapter.ts)", rebirthPayload(1_700_000_000_123)],
    ["a DATA by alias (sparkplug-host.test.ts)", { seq: 6, metrics: [{ alias: 100, doubleValue: 6 }] }],
    [
      "is_null (sparkplug-host.test.ts)",
      {
        metrics: [
          { name: "a", datatype: 10, isNull: true },
          { name: "b", datatype: 10, doubleValue: 1 },
        ],
      },
    ],
    [
      "negative integers and 64-bit strings (sparkplug-decode.test.ts)",
      {
        metrics: [
          { name: "i8", datatype: 1, intValue: 0xff },
          { name: "i32", datatype: 3, intValue: 0xfffffffd },
          { name: "i64", datatype: 4, longValue: "18446744073709551612" },
          { name: "u64", datatype: 8, longValue: "18446744073709551615" },
          { name: "long-like", datatype: 8, longValue: { low: -1, high: 0x7fffffff, unsigned: true } },
          { name: "big numbers", datatype: 8, longValue: 2 ** 63, alias: 2 ** 64, timestamp: Number.NaN },
        ],
      },
    ],
    [
      "a BIRTH and a DATA as bench/mqtt.ts builds them",
      {
        timestamp: 1_700_000_000_000,
        seq: 0,
        metrics: [
          { name: "Line/Sensor 0", alias: 0, datatype: 10, doubleValue: 1 / 3 },
          { name: "Line/Sensor 1", alias: 1, datatype: 9, floatValue: 0.25 },
          { name: "Line/Sensor 2", alias: 2, datatype: 3, intValue: 2 },
          { name: "Line/Sensor 3", alias: 3, datatype: 11, booleanValue: false },
          { alias: 4, timestamp: 1_700_000_000_001, doubleValue: -0 },
        ],
      },
    ],
    [
      "everything else the schema has",
      {
        uuid: "u-1",
        body: new Uint8Array([1, 2, 3]),
        metrics: [
          {
            name: "file",
            datatype: 18,
            bytesValue: Buffer.from("{}"),
            metadata: { isMultiPart: false, contentType: "application/json", size: 2, seq: 0, fileName: "a.json", md5: "x" },
            properties: {
              keys: ["engUnit", "nested"],
              values: [
                { type: 12, stringValue: "°C" },
                { type: 20, propertysetValue: { keys: ["k"], values: [{ type: 8, longValue: "9007199254740993" }] } },
              ],
            },
          },
          {
            name: "ds",
            datatype: 16,
            datasetValue: {
              numOfColumns: 2,
              columns: ["a", "b"],
              types: [3, 10],
              rows: [{ elements: [{ intValue: 1 }, { doubleValue: 2.5 }] }, { elements: [{}, { stringValue: "" }] }],
            },
          },
          {
            name: "t",
            datatype: 19,
            templateValue: {
              version: "v1",
              templateRef: "T",
              isDefinition: false,
              parameters: [{ name: "p", type: 7, intValue: 4294967295 }],
              metrics: [{ name: "m", datatype: 12, stringValue: "ü".repeat(100) }], // a length over 127
            },
          },
          { name: "ext", extensionValue: {} },
        ],
      },
    ],
  ];
  for (const [what, payload] of encoded) {
    it(`encodes ${what} byte for byte as protobufjs does`, () => {
      expect(Buffer.from(encodeSparkplug(payload)).toString("hex")).toBe(referenceEncode(payload).toString("hex"));
    });
  }

  it("encodes every vector, as protobufjs hands it back (64-bit as strings and as Longs), as protobufjs does", () => {
    for (const v of vectors) {
      const message = ReferencePayload.decode(v.bytes);
      for (const longs of [String, undefined]) {
        const object = ReferencePayload.toObject(message, { longs }) as Record<string, unknown>;
        expect(Buffer.from(encodeSparkplug(object)).toString("hex"), v.name).toBe(referenceEncode(object).toString("hex"));
      }
    }
  });

  it("writes a negative number in a 64-bit field as two's complement, where protobufjs 8 writes 0", () => {
    // The one deliberate difference: an Int64 metric of -4 must read back as -4 (values.ts), not 0.
    const metric = { name: "neg", datatype: 4, longValue: -4 };
    expect(decodeSparkplug(encodeSparkplug({ metrics: [metric] })).metrics[0].longValue).toEqual({ low: -4, high: -1, unsigned: true });
    expect(encodeSparkplug({ metrics: [metric] })).toEqual(encodeSparkplug({ metrics: [{ ...metric, longValue: "-4" }] }));
    expect(ReferencePayload.decode(referenceEncode({ metrics: [metric] })).toJSON().metrics[0].longValue).toBe("0");
  });

  it("keeps 64-bit values exact both ways, above 2^53 too, and accepts bigints", () => {
    const big = { metrics: [{ alias: "18446744073709551615", timestamp: 2n ** 53n + 1n, longValue: 9007199254740993n }] };
    const metric = decodeSparkplug(encodeSparkplug(big)).metrics[0];
    expect(metric.alias).toEqual({ low: -1, high: -1, unsigned: true });
    expect(metric.timestamp).toEqual({ low: 1, high: 0x200000, unsigned: true });
    expect(decodeSparkplug(encodeSparkplug({ seq: 2 ** 53 - 1 })).seq).toBe(2 ** 53 - 1);
    expect(() => encodeSparkplug({ seq: "12abc" })).toThrow(/not a decimal integer/);
  });

  it("reads absent fields as their defaults, and Object.hasOwn says what was on the wire (host.ts relies on it)", () => {
    const payload: SparkplugPayload = decodeSparkplug(encodeSparkplug({ seq: 0, metrics: [{ name: "m" }] }));
    expect(Object.hasOwn(payload, "seq")).toBe(true);
    expect(Object.hasOwn(payload, "timestamp")).toBe(false);
    expect([payload.timestamp, payload.uuid, payload.body.length]).toEqual([0, "", 0]);
    const metric = payload.metrics[0];
    expect([metric.alias, metric.datatype, metric.isNull, metric.doubleValue, metric.value, metric.datasetValue]).toEqual([
      0,
      0,
      false,
      0,
      undefined,
      undefined,
    ]);
    expect(Object.hasOwn(metric, "alias")).toBe(false);
  });
});

type Outcome = { ok: true; view: Record<string, unknown> } | { ok: false; error: unknown };

function attempt(decode: (bytes: Uint8Array) => Record<string, unknown>, bytes: Uint8Array): Outcome {
  try {
    return { ok: true, view: decode(bytes) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Both decoders on `bytes`: ours throws only WireFormatError, and both agree on validity and on what they read. */
function disagreement(bytes: Uint8Array): string | undefined {
  const mine = attempt(ours, bytes);
  const theirs = attempt(reference, bytes);
  if (!mine.ok && !(mine.error instanceof WireFormatError)) return `ours threw ${String(mine.error)}`;
  if (mine.ok !== theirs.ok) {
    return mine.ok
      ? `protobufjs refuses (${String((theirs as { error: unknown }).error)}), ours accepts`
      : `ours refuses (${String(mine.error)}), protobufjs accepts`;
  }
  if (mine.ok && theirs.ok) {
    try {
      expect(mine.view).toEqual(theirs.view);
    } catch {
      return "both accept, the fields differ";
    }
  }
  return undefined;
}

describe("Sparkplug B decoding of damaged payloads", () => {
  it("every truncation of every vector: an error or a payload, as protobufjs says", () => {
    const problems: string[] = [];
    for (const v of vectors) {
      for (let end = 0; end < v.bytes.length; end++) {
        const problem = disagreement(v.bytes.subarray(0, end));
        if (problem) problems.push(`${v.name} cut at ${end}: ${problem}`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it("5000 seeded random mutations of the vectors: an error or a payload, as protobufjs says", () => {
    const next = random(0x5eed);
    const pick = (n: number) => Math.floor(next() * n);
    const interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1b, 0x1c, 0x1e, 0x1f];
    const problems: string[] = [];
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      const v = vectors[pick(vectors.length)];
      const bytes = [...v.bytes];
      const edits: string[] = [];
      for (let k = 1 + pick(3); k > 0; k--) {
        const at = pick(bytes.length);
        const how = pick(5);
        if (how === 0) bytes[at] = pick(256);
        else if (how === 1) bytes[at] ^= 1 << pick(8);
        else if (how === 2) bytes[at] = interesting[pick(interesting.length)];
        else if (how === 3) bytes.splice(at, 0, pick(256));
        else bytes.splice(at, 1);
        edits.push(`${how}@${at}`);
      }
      const mutated = Buffer.from(bytes);
      const problem = disagreement(mutated);
      if (problem) problems.push(`#${i} ${v.name} [${edits.join(" ")}] ${mutated.toString("hex").slice(0, 80)}: ${problem}`);
      if (!attempt(ours, mutated).ok) refused++;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(refused).toBeGreaterThan(500); // the mutations do reach the error paths
  });
});
