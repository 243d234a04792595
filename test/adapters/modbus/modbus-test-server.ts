/**
 * A small Modbus server for the adapter tests, written from the protocol spec rather than with
 * modbus-serial so the client library is checked against an independent peer. Serves FC 1–4
 * over TCP (MBAP framing), RTU framing over TCP (a serial-to-Ethernet converter) or RTU framing
 * on any duplex stream (the far end of a socat pty pair). The test controls which units answer,
 * which addresses raise exceptions and how slowly it answers.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";

export type Table = "holding" | "input" | "coil" | "discrete";

export class UnitImage {
  readonly holding = new Uint16Array(65536);
  readonly input = new Uint16Array(65536);
  readonly coil = new Uint8Array(65536);
  readonly discrete = new Uint8Array(65536);

  set(table: Table, address: number, words: readonly number[] | readonly boolean[]): void {
    words.forEach((w, i) => {
      this[table][address + i] = typeof w === "boolean" ? (w ? 1 : 0) : w;
    });
  }
}

export interface ServerRequest {
  unit: number;
  fc: number;
  address: number;
  count: number;
  /** performance.now() when the request arrived. */
  at: number;
  /** performance.now() when the answer was written (unset for silent units). */
  answeredAt?: number;
}

const FC_TABLE: Record<number, Table> = { 1: "coil", 2: "discrete", 3: "holding", 4: "input" };

export class ModbusTestServer {
  readonly units = new Map<number, UnitImage>();
  /** Units that exist but do not answer (a meter unplugged from the bus). */
  readonly silent = new Set<number>();
  /** `${unit}:${table}:${address}` → exception code for any read covering it. */
  readonly exceptions = new Map<string, number>();
  /** Reads larger than this answer exception 3 (a device that cannot do 125). */
  maxCount = 125;
  delayMs = 0;
  /** Per-request answer delay (ms), by arrival index; overrides delayMs where it returns a number. */
  delayFor: ((request: ServerRequest, index: number) => number | undefined) | undefined;
  readonly requests: ServerRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly deaf = new WeakSet<Duplex>();
  /** Connections accepted since the start. */
  accepted = 0;
  port = 0;

  constructor(readonly framing: "tcp" | "rtu") {}

  unit(id: number): UnitImage {
    let image = this.units.get(id);
    if (!image) {
      image = new UnitImage();
      this.units.set(id, image);
    }
    return image;
  }

  exceptionAt(unit: number, table: Table, address: number, code = 2): void {
    this.exceptions.set(`${unit}:${table}:${address}`, code);
  }

  /** Listens on 127.0.0.1 (a random port the first time, the same port after a restart). */
  async listen(port = this.port): Promise<number> {
    const server = createServer((socket) => this.attachSocket(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Drops every connection and stops listening: the link goes down. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resets every connection (TCP RST, as from a device that rebooted) and stops listening. */
  async reset(): Promise<void> {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The open connections stop answering but stay open: a cable pulled between a switch and the
   * gateway, or a NAT entry that expired. Only a new connection is answered.
   */
  deafenOpenConnections(): void {
    for (const socket of this.sockets) this.deaf.add(socket);
  }

  private attachSocket(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    this.attach(socket);
  }

  /** Serves requests arriving on `stream` (a socket, or a serial port for RTU). */
  attach(stream: Duplex): void {
    let buffer = Buffer.alloc(0);
    stream.on("data", (chunk: Buffer) => {
      if (this.deaf.has(stream)) return;
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const frame = this.framing === "tcp" ? takeTcpFrame(buffer) : takeRtuFrame(buffer);
        if (!frame) break;
        buffer = buffer.subarray(frame.consumed);
        if (frame.pdu) this.answer(stream, frame.unit, frame.pdu, frame.transaction);
      }
    });
  }

  private answer(stream: Duplex, unit: number, pdu: Buffer, transaction: number): void {
    const fc = pdu[0];
    const address = pdu.readUInt16BE(1);
    const count = pdu.readUInt16BE(3);
    const request: ServerRequest = { unit, fc, address, count, at: performance.now() };
    this.requests.push(request);
    const image = this.units.get(unit);
    if (!image || this.silent.has(unit)) return;
    const reply = this.respond(image, unit, fc, address, count);
    const delay = this.delayFor?.(request, this.requests.length - 1) ?? this.delayMs;
    const send = () => {
      if (stream.destroyed) return;
      request.answeredAt = performance.now();
      stream.write(this.framing === "tcp" ? tcpFrame(transaction, unit, reply) : rtuFrame(unit, reply));
    };
    if (delay > 0) setTimeout(send, delay);
    else send();
  }

  private respond(image: UnitImage, unit: number, fc: number, address: number, count: number): Buffer {
    const table = FC_TABLE[fc];
    if (!table) return Buffer.from([fc | 0x80, 1]);
    const bits = fc <= 2;
    if (count < 1 || count > (bits ? 2000 : this.maxCount) || address + count > 65536) return Buffer.from([fc | 0x80, 3]);
    for (let a = address; a < address + count; a++) {
      const code = this.exceptions.get(`${unit}:${table}:${a}`);
      if (code !== undefined) return Buffer.from([fc | 0x80, code]);
    }
    if (bits) {
      const bytes = Buffer.alloc(Math.ceil(count / 8));
      for (let i = 0; i < count; i++) if (image[table][address + i]) bytes[i >> 3] |= 1 << (i & 7);
      return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
    }
    const body = Buffer.alloc(count * 2);
    for (let i = 0; i < count; i++) body.writeUInt16BE(image[table][address + i], i * 2);
    return Buffer.concat([Buffer.from([fc, body.length]), body]);
  }
}

interface Frame {
  consumed: number;
  unit: number;
  transaction: number;
  pdu?: Buffer;
}

function takeTcpFrame(buffer: Buffer): Frame | undefined {
  if (buffer.length < 7) return undefined;
  const length = buffer.readUInt16BE(4);
  if (buffer.length < 6 + length) return undefined;
  return { consumed: 6 + length, transaction: buffer.readUInt16BE(0), unit: buffer[6], pdu: buffer.subarray(7, 6 + length) };
}

/** Read requests (FC 1–4) are always 8 bytes on RTU; anything with a bad CRC is dropped. */
function takeRtuFrame(buffer: Buffer): Frame | undefined {
  if (buffer.length < 8) return undefined;
  const frame = buffer.subarray(0, 8);
  if (crc16(frame.subarray(0, 6)) !== frame.readUInt16LE(6)) return { consumed: buffer.length, unit: 0, transaction: 0 };
  return { consumed: 8, unit: frame[0], transaction: 0, pdu: frame.subarray(1, 6) };
}

function tcpFrame(transaction: number, unit: number, pdu: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt16BE(transaction, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt16BE(pdu.length + 1, 4);
  header[6] = unit;
  return Buffer.concat([header, pdu]);
}

function rtuFrame(unit: number, pdu: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([unit]), pdu]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body));
  return Buffer.concat([body, crc]);
}

export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}
