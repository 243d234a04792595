/**
 * A TCP proxy that delays every chunk by a fixed one-way latency in each direction: the honest
 * way to give HTTP, WebSocket frames, pings and pongs alike the latency of a long link.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

export interface LatencyProxy {
  port: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(host: string, port: number, targetPort: number, latencyMs: () => number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    pipeDelayed(client, upstream, latencyMs);
    pipeDelayed(upstream, client, latencyMs);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", closeBoth).on("error", closeBoth);
    upstream.on("close", closeBoth).on("error", closeBoth);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Timers of equal delay fire in insertion order, so chunks keep their order. */
function pipeDelayed(from: Socket, to: Socket, latencyMs: () => number): void {
  from.on("data", (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, latencyMs());
  });
  from.on("end", () => setTimeout(() => to.end(), latencyMs()));
}
