/**
 * A TCP proxy in front of the local gateway that shapes the link as a long or lossy one would:
 * - a fixed one-way latency in each direction: the honest way to give HTTP, WebSocket frames,
 *   pings and pongs alike the latency of a long link;
 * - stalls: every so often, what the device sends is held and then delivered in one piece, as
 *   TCP does after a retransmission on a lossy link. Frames the bridge paced apart then reach
 *   the gateway back to back, where frames of a source under 0.5 ms apart are dropped silently.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

export interface LatencyProxy {
  port: number;
  close(): Promise<void>;
}

export interface LinkShape {
  /** One-way latency in each direction, ms. */
  latencyMs: () => number;
  /** Every `everyMs`, hold the device's bytes for `forMs`, then deliver them in one write. */
  stall?: { everyMs: number; forMs: number };
}

export async function startLatencyProxy(host: string, port: number, targetPort: number, shape: LinkShape): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const stall = shape.stall ? stallingWriter(upstream, shape.stall, timers) : undefined;
    pipeDelayed(client, upstream, shape.latencyMs, stall);
    pipeDelayed(upstream, client, shape.latencyMs);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      stall?.stop();
    };
    client.on("close", closeBoth).on("error", closeBoth);
    upstream.on("close", closeBoth).on("error", closeBoth);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Writer {
  write(chunk: Buffer): void;
  stop(): void;
}

/** Writes to `to`, except during a stall, whose bytes go out in one write when it ends. */
function stallingWriter(to: Socket, stall: { everyMs: number; forMs: number }, timers: Set<NodeJS.Timeout>): Writer {
  let held: Buffer[] | undefined;
  const release = () => {
    const chunks = held;
    held = undefined;
    if (chunks && chunks.length > 0 && !to.destroyed) to.write(Buffer.concat(chunks));
  };
  const timer = setInterval(() => {
    held ??= [];
    setTimeout(release, stall.forMs);
  }, stall.everyMs);
  timers.add(timer);
  return {
    write(chunk) {
      if (held) held.push(chunk);
      else if (!to.destroyed) to.write(chunk);
    },
    stop() {
      clearInterval(timer);
      timers.delete(timer);
    },
  };
}

/** Timers of equal delay fire in insertion order, so chunks keep their order. */
function pipeDelayed(from: Socket, to: Socket, latencyMs: () => number, writer?: Writer): void {
  const write = (chunk: Buffer) => {
    if (writer) writer.write(chunk);
    else if (!to.destroyed) to.write(chunk);
  };
  from.on("data", (chunk: Buffer) => {
    const delay = latencyMs();
    if (delay > 0) setTimeout(() => write(chunk), delay);
    else write(chunk);
  });
  from.on("end", () => setTimeout(() => to.end(), latencyMs()));
}
