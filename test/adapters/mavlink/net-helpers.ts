/** Loopback peers for the network tests: free ports, a frame collector, a scripted TCP vehicle. */
import { createSocket } from "node:dgram";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { dialect } from "../../../adapters/mavlink/dialect.js";
import { FrameParser, type RawFrame } from "../../../adapters/mavlink/framing.js";
import { readCommandLong } from "./helpers.js";

const messages = dialect("common");

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export /** Collects the frames the adapter sends back, parsed by the same checked framing. */
function frameCollector() {
  const frames: { frame: RawFrame; bytes: Buffer }[] = [];
  const parser = new FrameParser({
    crcExtra: (id) => messages.crcExtra(id),
    onFrame: (frame) => frames.push({ frame: { ...frame, payload: Uint8Array.from(frame.payload) }, bytes: Buffer.from(frame.payload) }),
    onProblem: (problem) => {
      throw new Error(`the adapter sent a bad frame: ${problem}`);
    },
  });
  return { frames, push: (chunk: Uint8Array) => parser.push(chunk) };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 8000) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A vehicle behind a TCP port: sends what `onConnect` says, answers COMMAND_LONG as `answer` says. */
export async function tcpVehicle(
  cleanups: (() => Promise<void> | void)[],

  onConnect: (socket: Socket, index: number) => void,
  answer?: (command: ReturnType<typeof readCommandLong>, socket: Socket) => void,
) {
  const commands: ReturnType<typeof readCommandLong>[] = [];
  /** Every message id received, in order. */
  const received: number[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const parser = new FrameParser({
      crcExtra: (id) => messages.crcExtra(id),
      onFrame: (frame) => {
        received.push(frame.msgid);
        if (frame.msgid !== 76) return;
        const command = readCommandLong(frame);
        commands.push(command);
        answer?.(command, socket);
      },
      onProblem: () => {},
    });
    socket.on("data", (chunk) => parser.push(chunk));
    onConnect(socket, connections++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, commands, received, sockets, connections: () => connections };
}
