/**
 * Runs opcua-test-server.ts in a child process, so that a test can kill it (SIGKILL: a crash, no
 * goodbye to the client), freeze it (SIGSTOP: a server that goes silent) and start it again on the
 * same port, maybe with its namespaces renumbered.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../../helpers/child.js";

export const TEST_NAMESPACE = "urn:plexus:test";
export const NODESET_NAMESPACE = "http://yourorganisation.org/test/";
export const USER = { username: "bridge", password: "s3cret" };

export interface ServerOptions {
  renumber?: boolean;
  items?: number;
}

export class TestServer {
  readonly dir = mkdtempSync(join(tmpdir(), "opcua-test-"));
  private child: ChildProcess | undefined;
  port = 0;
  namespaces: string[] = [];
  readonly stderr: string[] = [];

  get endpoint(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  /** Starts the server (on the same port as before when restarting). */
  async start(options: ServerOptions = {}): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const args = [join(import.meta.dirname, "opcua-test-server.ts"), "--port", String(this.port), "--pki", this.dir];
    if (options.renumber) args.push("--renumber");
    if (options.items) args.push("--items", String(options.items));
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    createInterface({ input: child.stderr! }).on("line", (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`OPC-UA test server not ready in 90 s:\n${this.stderr.slice(-20).join("\n")}`)),
        90_000,
      );
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith("READY ")) return;
        clearTimeout(timer);
        resolve(line.slice(6));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`OPC-UA test server exited (${code}):\n${this.stderr.slice(-20).join("\n")}`));
      });
    });
    this.namespaces = (JSON.parse(ready) as { namespaces: string[] }).namespaces;
  }

  /** A crash: SIGKILL, nothing said to the clients. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** The current sessions' subscriptions stop publishing, silently; the sessions still answer. */
  stallPublishing(): void {
    this.child?.stdin?.write("stall-publishing\n");
  }

  /** A SystemEventType event on the Server object. */
  raiseEvent(severity: number, message: string): void {
    this.child?.stdin?.write(`raise-event ${severity} ${message}\n`);
  }

  freeze(): void {
    this.child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.child?.kill("SIGCONT");
  }

  async close(): Promise<void> {
    this.thaw();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The node ids of the test server, in the `nsu=` form the adapter prefers. */
export const plant = (name: string) => `nsu=${TEST_NAMESPACE};s=${name}`;
