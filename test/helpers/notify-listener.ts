/**
 * A stand-in for systemd's notification socket: python3 binds a unix datagram socket with
 * SO_PASSCRED and prints each datagram with the sender's pid, which the kernel fills in (the
 * sender cannot choose it without CAP_SYS_ADMIN). That is the check NotifyAccess=main makes.
 * python3 is part of Debian's base for pymodbus anyway; off CI its absence skips, under CI it fails.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

export const hasPython3 = spawnSync("python3", ["-c", "import socket; socket.SO_PASSCRED"]).status === 0;
if (!hasPython3 && process.env.CI === "true") throw new Error("python3 is required in CI (apt-get install -y python3)");
export const NEEDS_PYTHON3 = "needs python3: apt-get install python3";

const LISTENER = `
import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\\0" + sys.argv[1][1:] if sys.argv[1].startswith("@") else sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
    print(json.dumps({"pid": pid, "data": data.decode(), "monotonic_usec": time.monotonic_ns() // 1000}), flush=True)
`;

export interface Notification {
  pid: number | null;
  /** The datagram's KEY=VALUE lines. */
  fields: Record<string, string>;
  raw: string;
  /** The listener's CLOCK_MONOTONIC when it read the datagram, µs. */
  receivedUsec: number;
}

export interface NotifyListener {
  path: string;
  messages: Notification[];
  waitFor(match: (n: Notification) => boolean, timeoutMs?: number, what?: string): Promise<Notification>;
  stop(): Promise<void>;
}

/** Binds a listener at `path` (a file in the test's temp dir, or "@name" for an abstract socket) and resolves once it listens. */
export async function startNotifyListener(path: string): Promise<NotifyListener> {
  const child: ChildProcess = spawn("python3", ["-c", LISTENER, path], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const messages: Notification[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the notify listener exited (${code})`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const parsed = JSON.parse(line) as { listening?: boolean; pid: number | null; data: string; monotonic_usec: number };
      if (parsed.listening) return resolve();
      const fields = Object.fromEntries(
        parsed.data
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      messages.push({ pid: parsed.pid, fields, raw: parsed.data, receivedUsec: parsed.monotonic_usec });
    });
  });
  await listening;
  return {
    path,
    messages,
    async waitFor(match, timeoutMs = 20_000, what = "a notification") {
      const start = Date.now();
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (Date.now() - start > timeoutMs) {
          throw new Error(`no ${what} within ${timeoutMs} ms; got:\n${messages.map((m) => JSON.stringify(m.raw)).join("\n")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
