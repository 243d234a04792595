/**
 * Brokers for the MQTT tests: aedes in process (MQTT 3.1.1), and Debian's mosquitto started on a
 * free loopback port with a generated config (MQTT 5, TLS, password files, persistence). mosquitto
 * is a system peer (test/helpers/system-peer.ts): skipped with the reason off CI, required in CI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes, type AedesOptions } from "aedes";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { createWebSocketStream, WebSocketServer } from "ws";
import { freePort } from "../../helpers/free-port.js";
import { requirePeer } from "../../helpers/system-peer.js";

export const MOSQUITTO = "/usr/sbin/mosquitto";
const mosquitto = requirePeer({
  name: "mosquitto",
  apt: "mosquitto",
  // `mosquitto -h` exits 3 after its usage text, so the probe looks for runnable files; mosquitto_passwd comes in the same package.
  probe: () => {
    if (!runnable(MOSQUITTO)) return `${MOSQUITTO} is not installed`;
    return runnable("/usr/bin/mosquitto_passwd") || "mosquitto_passwd is not installed";
  },
});
export const hasMosquitto = mosquitto.available;

function runnable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
export const NEEDS_MOSQUITTO = mosquitto.reason;

export interface AedesBroker {
  broker: Aedes;
  url: string;
  close(): Promise<void>;
}

/** aedes on a free loopback port; `websocket: true` serves MQTT over WebSockets (ws://…/mqtt) instead of TCP. */
export async function startAedes(options: AedesOptions = {}, websocket = false): Promise<AedesBroker> {
  const broker = await Aedes.createBroker(options);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  let server: Server | HttpServer;
  if (websocket) {
    const webSockets = new WebSocketServer({ noServer: true });
    server = createHttpServer();
    server.on("upgrade", (request, socket, head) => {
      track(socket as Socket);
      webSockets.handleUpgrade(request, socket, head, (ws) => broker.handle(createWebSocketStream(ws) as never, request));
    });
  } else {
    server = createServer((socket) => {
      track(socket);
      broker.handle(socket);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    broker,
    url: websocket ? `ws://127.0.0.1:${port}/mqtt` : `mqtt://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Mosquitto {
  port: number;
  dir: string;
  url: string;
  stop(): Promise<void>;
  /** Stops and starts again on the same port with the same config (and persistence file, if any). */
  restart(): Promise<void>;
}

/** Starts mosquitto with `lines` added to a config that listens on a free loopback port. */
export async function startMosquitto(lines: (dir: string) => string[] = () => [], scheme = "mqtt"): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-"));
  const port = await freePort();
  const config = join(dir, "mosquitto.conf");
  const extra = lines(dir);
  const auth = extra.some((l) => l.startsWith("password_file")) ? [] : ["allow_anonymous true"];
  // `user root`: started as root (CI), mosquitto would switch to its own user, which cannot read the test's files.
  const settings = [`listener ${port} 127.0.0.1`, ...auth, "user root", "log_dest stderr", "log_type error", "log_type warning"];
  writeFileSync(config, [...settings, ...extra, ""].join("\n"));
  let child: ChildProcess | undefined;
  let output = "";
  const launch = async () => {
    child = spawn(MOSQUITTO, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk) => (output += chunk));
    const deadline = Date.now() + 5000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    await exited;
  };
  await launch();
  return {
    port,
    dir,
    url: `${scheme}://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** A plain mqtt.js client for the test's side (publishing, watching what the bridge publishes). */
export async function testClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
