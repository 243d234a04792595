/**
 * The protobuf wire edge cases our Sparkplug decoder must get right, hand-built byte by byte:
 * forward compatibility (unknown fields, groups, packed or not) and every kind of malformed input.
 */
import { describe, expect, it } from "vitest";
import { decodeSparkplug, WireFormatError } from "../../../adapters/mqtt/sparkplug/codec.js";
import { WireWriter } from "../../../adapters/mqtt/sparkplug/protobuf-wire.js";

const hex = (text: string) => Buffer.from(text.replaceAll(" ", ""), "hex");

describe("protobuf wire format", () => {
  it("skips unknown fields of every wire type, groups included, and reads what follows", () => {
    // 1: unknown field 9 varint (10 bytes), fixed64, fixed32, length-delimited, a group with a nested group; then seq = 7.
    const payload = decodeSparkplug(
      hex("48 ffffffffffffffffff01  51 0102030405060708  5d 01020304  62 03 616263  6b 08 01 73 0a 00 74 6c  18 07"),
    );
    expect(payload.seq).toBe(7);
  });

  it("a known field with another wire type is skipped as unknown (as protoc does)", () => {
    // seq (3) sent as fixed32, then seq as a varint.
    const payload = decodeSparkplug(hex("1d 01000000 18 05"));
    expect(payload.seq).toBe(5);
    expect(Object.hasOwn(decodeSparkplug(hex("1d 01000000")), "seq")).toBe(false);
  });

  it("reads DataSet.types packed or unpacked, mixed", () => {
    // metric { dataset_value { types: 3 (unpacked), [10, 300] (packed) } }
    const payload = decodeSparkplug(hex("12 0a 8a01 07 18 03 1a 03 0a ac02"));
    expect(payload.metrics[0].datasetValue?.types).toEqual([3, 10, 300]);
  });

  it("the last oneof member on the wire wins and clears the others", () => {
    const payload = decodeSparkplug(hex("12 0b 50 05 69 000000000000f03f"));
    const metric = payload.metrics[0];
    expect(metric.value).toBe("doubleValue");
    expect(metric.doubleValue).toBe(1);
    expect(Object.hasOwn(metric, "intValue")).toBe(false);
  });

  it("a singular message field sent twice is merged, a repeated one appended", () => {
    // metric { metadata { file_name "a" } metadata { content_type "b" } }, twice in metrics.
    const metric = "12 0a 42 03 2a 01 61 42 03 12 01 62";
    const payload = decodeSparkplug(hex(`${metric} ${metric}`));
    expect(payload.metrics.length).toBe(2);
    expect([payload.metrics[0].metadata?.fileName, payload.metrics[0].metadata?.contentType]).toEqual(["a", "b"]);
  });

  it("keeps uint64 exact and uint32 as its low 32 bits of a 10-byte varint (a sign-extended int32)", () => {
    const payload = decodeSparkplug(hex("08 ffffffffffffffffff01 12 0b 50 fcffffffffffffffff01"));
    expect(payload.timestamp).toEqual({ low: -1, high: -1, unsigned: true });
    expect(payload.metrics[0].intValue).toBe(0xfffffffc);
  });

  const malformed: [string, string, RegExp][] = [
    ["a truncated varint", "18 80", /truncated varint at offset 1/],
    ["a varint over 10 bytes", "18 ffffffffffffffffffff01", /varint longer than 10 bytes/],
    ["a truncated key", "80", /truncated field key/],
    ["a key over 32 bits", "f8ffffff7f 00", /field key longer than 32 bits/],
    ["field number 0", "00", /field number 0/],
    ["wire type 6", "1e 00", /invalid wire type 6/],
    ["wire type 7", "1f 00", /invalid wire type 7/],
    ["an end group with no start", "1c", /invalid wire type 4/],
    ["a group never closed", "1b 18 01", /truncated field key/],
    ["an end group for another group", "1b 24", /end group 4 closes group 3/],
    ["a length past the end", "22 05 6162", /length 5 runs past the end \(2 bytes left\)/],
    ["a nested length past its message", "12 03 0a 05 61", /length 5 runs past the end \(1 bytes left\)/],
    ["a truncated double", "12 05 69 00000000", /truncated 8-byte field \(4 bytes left\)/],
    ["a truncated float", "12 03 65 0000", /truncated 4-byte field/],
    ["a truncated packed list", "12 06 8a01 03 1a 01 80", /truncated varint/],
  ];
  for (const [what, bytes, message] of malformed) {
    it(`refuses ${what} with a WireFormatError that says where`, () => {
      expect(() => decodeSparkplug(hex(bytes))).toThrow(WireFormatError);
      expect(() => decodeSparkplug(hex(bytes))).toThrow(message);
    });
  }

  it("refuses nesting deeper than protoc's limit of 100 instead of overflowing the stack", () => {
    // Template { metrics { template_value { metrics { … } } } }, 60 levels of Metric+Template.
    let inner: Uint8Array = new Uint8Array(0);
    for (let level = 0; level < 60; level++) {
      const template = new WireWriter();
      template.tag(2, 2);
      template.bytes(inner);
      const metric = new WireWriter();
      metric.tag(18, 2);
      metric.bytes(template.finish());
      inner = metric.finish();
    }
    expect(() => decodeSparkplug(Buffer.concat([hex("12"), lengthOf(inner.length), inner]))).toThrow(/nesting deeper than 100/);
  });

  it("writes lengths as minimal varints, moving content when a length needs more than a byte", () => {
    for (const size of [0, 127, 128, 16383, 16384, 70000]) {
      const w = new WireWriter();
      w.delimited(() => w.bytes(new Uint8Array(size).fill(7)));
      const bytes = w.finish();
      const inner = Buffer.concat([lengthOf(size), Buffer.alloc(size, 7)]);
      expect(Buffer.from(bytes).equals(Buffer.concat([lengthOf(inner.length), inner])), `size ${size}`).toBe(true);
    }
  });
});

function lengthOf(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}
