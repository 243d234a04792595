/**
 * Messages → MAVLink v1/v2 frames, for the few the adapter sends (heartbeat, stream requests,
 * commands). Pure. Serialises from the dialect's definitions, as decode.ts reads with them.
 */
import type { MessageDefinition } from "./dialect.js";
import { crc16, STX_V1, STX_V2 } from "./framing.js";

export interface FrameHeader {
  version: 1 | 2;
  sysid: number;
  compid: number;
  seq: number;
  /** MAVLink 2 incompat_flags; bit 0 marks a frame that signFrame() will sign. */
  incompatFlags?: number;
}

const V1_HEADER = 6;
const V2_HEADER = 10;

/**
 * One frame of `message` with the given scalar field values (by XML field name; fields not given
 * are 0). MAVLink 1 carries no extensions; MAVLink 2 drops the payload's trailing zero bytes but
 * keeps the first, as the specification asks.
 */
export function encodeFrame(message: MessageDefinition, values: Readonly<Record<string, number>>, header: FrameHeader): Uint8Array {
  const v2 = header.version === 2;
  const fields = v2 ? message.fields : message.fields.filter((field) => !field.extension);
  const last = fields[fields.length - 1];
  const fullLength = last ? last.offset + last.size * (last.length || 1) : 0;
  const payload = new Uint8Array(fullLength);
  const view = new DataView(payload.buffer);
  const known = new Set<string>();
  for (const field of fields) {
    known.add(field.name);
    const value = values[field.name];
    if (value === undefined) continue;
    if (field.length) throw new Error(`${message.name}.${field.name}: arrays cannot be encoded`);
    const write = WRITERS[field.type];
    if (!write) throw new Error(`${message.name}.${field.name}: type ${field.type} cannot be encoded`);
    write(view, field.offset, value);
  }
  for (const name of Object.keys(values))
    if (!known.has(name)) throw new Error(`${message.name} has no field "${name}"${v2 ? "" : " in MAVLink 1"}`);

  let length = fullLength;
  if (v2) while (length > 1 && payload[length - 1] === 0) length--;
  const headerLength = v2 ? V2_HEADER : V1_HEADER;
  const frame = new Uint8Array(headerLength + length + 2);
  if (v2) {
    frame.set([STX_V2, length, header.incompatFlags ?? 0, 0, header.seq, header.sysid, header.compid], 0);
    frame.set([message.id & 0xff, (message.id >> 8) & 0xff, (message.id >> 16) & 0xff], 7);
  } else {
    if (message.id > 0xff) throw new Error(`${message.name} (id ${message.id}) cannot be sent as MAVLink 1`);
    frame.set([STX_V1, length, header.seq, header.sysid, header.compid, message.id], 0);
  }
  frame.set(payload.subarray(0, length), headerLength);
  const crc = crc16(frame, 1, headerLength + length, message.crcExtra);
  frame[headerLength + length] = crc & 0xff;
  frame[headerLength + length + 1] = crc >> 8;
  return frame;
}

type Writer = (view: DataView, offset: number, value: number) => void;

const WRITERS: Readonly<Record<string, Writer>> = {
  int8_t: (view, offset, value) => view.setInt8(offset, value),
  uint8_t: (view, offset, value) => view.setUint8(offset, value),
  uint8_t_mavlink_version: (view, offset, value) => view.setUint8(offset, value),
  char: (view, offset, value) => view.setUint8(offset, value),
  int16_t: (view, offset, value) => view.setInt16(offset, value, true),
  uint16_t: (view, offset, value) => view.setUint16(offset, value, true),
  int32_t: (view, offset, value) => view.setInt32(offset, value, true),
  uint32_t: (view, offset, value) => view.setUint32(offset, value, true),
  float: (view, offset, value) => view.setFloat32(offset, value, true),
  double: (view, offset, value) => view.setFloat64(offset, value, true),
  int64_t: (view, offset, value) => view.setBigInt64(offset, BigInt(value), true),
  uint64_t: (view, offset, value) => view.setBigUint64(offset, BigInt(value), true),
};
