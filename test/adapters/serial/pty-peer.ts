/**
 * The instrument's end of a socat pty pair, for the serial adapter tests: writes bytes, records
 * what the bridge wrote, and can answer requests like a polled instrument.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import type { AdapterHarness } from "../../helpers/adapter-harness.js";
import { type PtyPair, startPtyPair } from "../../helpers/socat.js";

export class PtyPeer {
  /** Everything the bridge wrote, as latin1 text. */
  received = "";
  private port: SerialPort | undefined;
  private responder: ((received: string) => string | undefined) | undefined;

  async open(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    port.on("data", (chunk: Buffer) => {
      this.received += chunk.toString("latin1");
      const answer = this.responder?.(this.received);
      if (answer !== undefined) port.write(Buffer.from(answer, "latin1"));
    });
    this.port = port;
  }

  /** Answers with respond(everything received so far) after each read, when it returns text. */
  respond(respond: (received: string) => string | undefined): void {
    this.responder = respond;
  }

  write(data: string | Buffer): Promise<void> {
    const port = this.port;
    if (!port) throw new Error("peer not open");
    return new Promise((resolve, reject) => {
      port.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) =>
        error ? reject(error) : port.drain(() => resolve()),
      );
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

/** A pty pair in a temp folder: `bridge` for the adapter, `device` for the peer. */
export class PtyRig {
  dir = "";
  private pair: PtyPair | undefined;
  private peers: PtyPeer[] = [];

  get bridgePath(): string {
    return join(this.dir, "bridge");
  }

  async setUp(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "serial-adapter-"));
  }

  async plug(): Promise<PtyPeer> {
    this.pair = await startPtyPair(join(this.dir, "device"), this.bridgePath);
    const peer = new PtyPeer();
    await peer.open(join(this.dir, "device"));
    this.peers.push(peer);
    return peer;
  }

  /** Closes the peer and kills socat: both pty ends vanish, as when a USB adapter is pulled. */
  async unplug(): Promise<void> {
    for (const peer of this.peers.splice(0)) await peer.close();
    const pair = this.pair;
    this.pair = undefined;
    await pair?.stop();
  }

  async tearDown(): Promise<void> {
    await this.unplug();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Waits until `check` holds, polling; throws with `what` after the timeout. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for the adapter's "up" state (the port is open and listening). */
export function untilUp(harness: AdapterHarness, from = 0): Promise<void> {
  return eventually(() => harness.states.slice(from).some((s) => s.state === "up"), "the port to open");
}
