/**
 * What the uplink's WebSocket client puts on the wire, read by a raw server (node's tls and net,
 * no WebSocket library) so the masking key is seen as sent: zero inside TLS, where masking guards
 * against nothing and would cost CPU; random over plain ws://, as RFC 6455 asks.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { maskingOptions } from "../../src/uplink/websocket-masking.js";
import { hasOpenssl, makeCertificates, NEEDS_OPENSSL } from "../adapters/mqtt/certificates.js";
import { tempDir } from "../pipeline/queue-helpers.js";

interface SeenFrame {
  key: Buffer;
  payloadOnWire: Buffer;
}

/** Answers one WebSocket upgrade by hand, then hands over the first frame the client sends. */
function acceptOneFrame(socket: Socket, onFrame: (frame: SeenFrame) => void): void {
  let buffered = Buffer.alloc(0);
  let upgraded = false;
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!upgraded) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const key = /sec-websocket-key: *(\S+)/i.exec(buffered.subarray(0, end).toString())?.[1];
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      upgraded = true;
      buffered = buffered.subarray(end + 4);
    }
    // A short text frame: FIN+opcode, MASK bit + 7-bit length, the 4-byte key, the payload.
    if (buffered.length < 2) return;
    const length = buffered[1] & 0x7f;
    expect(buffered[1] & 0x80).toBe(0x80);
    if (buffered.length < 6 + length) return;
    onFrame({ key: Buffer.from(buffered.subarray(2, 6)), payloadOnWire: Buffer.from(buffered.subarray(6, 6 + length)) });
  });
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function firstFrame(make: (onFrame: (frame: SeenFrame) => void) => Server, connect: (port: number) => WebSocket) {
  let onFrame: (frame: SeenFrame) => void = () => {};
  const seen = new Promise<SeenFrame>((resolve) => {
    onFrame = resolve;
  });
  const listening = make(onFrame);
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  const client = connect((listening.address() as { port: number }).port);
  client.on("open", () => client.send("points for plexus"));
  client.on("error", () => {});
  const frame = await seen;
  client.terminate();
  return frame;
}

describe("WebSocket masking", () => {
  it.skipIf(!hasOpenssl)(`over wss:// the key is zero and the payload travels as is (${NEEDS_OPENSSL})`, async () => {
    const certificates = makeCertificates(tempDir());
    const frame = await firstFrame(
      (onFrame) =>
        createTlsServer({ cert: readFileSync(certificates.serverCert), key: readFileSync(certificates.serverKey) }, (socket) =>
          acceptOneFrame(socket, onFrame),
        ),
      (port) => {
        const url = new URL(`wss://127.0.0.1:${port}/ws/device`);
        // `ca` only because this server's certificate comes from a test CA.
        return new WebSocket(url, { ...maskingOptions(url), ca: readFileSync(certificates.ca) });
      },
    );
    expect([...frame.key]).toEqual([0, 0, 0, 0]);
    expect(frame.payloadOnWire.toString()).toBe("points for plexus");
  });

  it("over plain ws:// the key is random and the payload is masked with it", async () => {
    const frame = await firstFrame(
      (onFrame) => createTcpServer((socket) => acceptOneFrame(socket, onFrame)),
      (port) => {
        const url = new URL(`ws://127.0.0.1:${port}/ws/device`);
        return new WebSocket(url, maskingOptions(url));
      },
    );
    expect(frame.key.readUInt32BE(0)).not.toBe(0);
    const unmasked = Buffer.from(frame.payloadOnWire.map((byte, i) => byte ^ frame.key[i % 4]));
    expect(unmasked.toString()).toBe("points for plexus");
    expect(frame.payloadOnWire.toString()).not.toBe("points for plexus");
  });
});
