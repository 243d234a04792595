/**
 * protobufjs (a devDependency only) as the reference our Sparkplug codec is checked against, and a
 * field-by-field view of a decoded message that both decoders' results can be compared in.
 */
import { join } from "node:path";
import protobuf from "protobufjs";

const protoRoot = protobuf.loadSync(join(import.meta.dirname, "../../../adapters/mqtt/sparkplug/sparkplug_b.proto"));
export const ReferencePayload = protoRoot.lookupType("org.eclipse.tahu.protobuf.Payload");

/** protobufjs' encoding of a plain object, as the bridge encoded before our codec. */
export function referenceEncode(object: Record<string, unknown>): Buffer {
  return Buffer.from(ReferencePayload.encode(ReferencePayload.fromObject(object)).finish());
}

/**
 * Every field of `type` as read from `message` (present or not, so defaults are compared too),
 * whether it is present (own), the oneofs' names; 64-bit values as exact bigints, bytes as hex.
 */
export function fieldView(message: Record<string, unknown>, type: protobuf.Type = ReferencePayload): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const value = message[field.name];
    if (field.repeated) {
      view[field.name] = (value as unknown[]).map((item) => fieldValue(item, field));
      continue;
    }
    view[`${field.name} present`] = Object.hasOwn(message, field.name);
    view[field.name] = value === null || value === undefined ? null : fieldValue(value, field);
  }
  for (const oneof of type.oneofsArray) view[`${oneof.name} oneof`] = message[oneof.name] ?? null;
  return view;
}

function fieldValue(value: unknown, field: protobuf.Field): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fieldView(value as Record<string, unknown>, field.resolvedType);
  if (field.type === "uint64") {
    if (typeof value === "number") return BigInt(value);
    const long = value as { low: number; high: number };
    return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  }
  if (field.type === "bytes") return Buffer.from(value as Uint8Array).toString("hex");
  return value;
}
