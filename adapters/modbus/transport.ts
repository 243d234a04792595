/**
 * The link: one modbus-serial client on one connection, with one request in flight at a time
 * (a serial bus allows nothing else, and a TCP gateway in front of a serial bus neither), a
 * quiet gap between requests, timeouts, retries of timed-out requests, and reconnection with
 * capped exponential backoff and jitter when the link drops.
 */
import { Backoff, sleep } from "../../src/backoff.js";
import type { Logger } from "../../src/log.js";
import { BadAnswerError, classify, LinkDownError, ModbusTimeoutError, messageOf } from "./errors.js";
import type { Table } from "./register-map.js";
import { describeEndpoint, type Endpoint } from "./url.js";

export interface LinkOptions {
  timeoutMs: number;
  retries: number;
  gapMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export interface LinkEvents {
  onUp(): void;
  onDown(reason: string): void;
  count(name: string, n?: number): void;
}

/** The part of modbus-serial's client the link uses. */
interface Client {
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, count: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, count: number): Promise<{ data: number[] }>;
  readCoils(address: number, count: number): Promise<{ data: boolean[] }>;
  readDiscreteInputs(address: number, count: number): Promise<{ data: boolean[] }>;
  connectTCP(host: string, options: { port: number }): Promise<void>;
  connectTelnet(host: string, options: { port: number }): Promise<void>;
  connectRTUBuffered(path: string, options: Record<string, unknown>): Promise<void>;
  on(event: "close" | "error", listener: (...args: unknown[]) => void): void;
  removeAllListeners(): void;
  close(callback: () => void): void;
  destroy?(callback: () => void): void;
  isOpen: boolean;
}

export class ModbusLink {
  private client: Client | undefined;
  private connected = false;
  private stopped = false;
  private chain: Promise<unknown> = Promise.resolve();
  private lastRequestEnd = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly reconnectBackoff: Backoff;
  private upWaiters: (() => void)[] = [];
  /** Rejects when stop() is called, so a request in flight does not hold stop() up until its timeout. */
  private readonly stopping: Promise<never>;
  private rejectStopping: (error: Error) => void = () => undefined;
  readonly label: string;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: LinkOptions,
    private readonly log: Logger,
    private readonly events: LinkEvents,
  ) {
    this.label = describeEndpoint(endpoint);
    this.reconnectBackoff = new Backoff({ initialMs: options.reconnectMinMs, maxMs: options.reconnectMaxMs });
    this.stopping = new Promise<never>((_, reject) => {
      this.rejectStopping = reject;
    });
    this.stopping.catch(() => undefined);
  }

  get isUp(): boolean {
    return this.connected;
  }

  /** Starts connecting; resolves at once, the link comes up (and back) in the background. */
  start(): void {
    void this.connect();
  }

  /** Resolves when the link is up (or immediately if it is), or when stopped. */
  whenUp(): Promise<void> {
    if (this.connected || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /**
   * Reads `count` registers or bits. Requests queue behind each other; a timed-out request is
   * repeated `retries` times. Throws ModbusExceptionError, ModbusTimeoutError or LinkDownError.
   */
  read(unitId: number, table: Table, address: number, count: number): Promise<number[] | boolean[]> {
    const run = this.chain.then(() => this.readNow(unitId, table, address, count));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async readNow(unitId: number, table: Table, address: number, count: number): Promise<number[] | boolean[]> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped || !this.connected || !this.client) throw new LinkDownError(`link ${this.label} is down`);
      const wait = this.lastRequestEnd + this.options.gapMs - performance.now();
      if (wait > 0) await sleep(wait);
      const client = this.client;
      this.events.count("requests");
      try {
        client.setID(unitId);
        const answer = await Promise.race([
          withDeadline(readTable(client, table, address, count), this.options.timeoutMs + 250),
          this.stopping,
        ]);
        return answer.data.slice(0, count) as number[] | boolean[];
      } catch (error) {
        const failure = classify(error);
        if (failure instanceof ModbusTimeoutError) {
          this.events.count(failure instanceof BadAnswerError ? "bad_answers" : "timeouts");
          if (attempt < this.options.retries) continue;
        }
        if (failure instanceof LinkDownError) this.linkLost(failure.message);
        throw failure;
      } finally {
        this.lastRequestEnd = performance.now();
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let ModbusRTU: new () => Client;
    try {
      // A CommonJS module: its default export is the ModbusRTU class itself.
      ModbusRTU = (await import("modbus-serial")).default as unknown as new () => Client;
    } catch (error) {
      this.log.error("cannot load modbus-serial", { error: messageOf(error) });
      this.events.onDown(`modbus-serial cannot be loaded: ${messageOf(error)}`);
      return;
    }
    const client = new ModbusRTU();
    client.setTimeout(this.options.timeoutMs);
    // modbus-serial emits "error" on socket errors; without a listener Node would throw.
    client.on("error", (error) => this.log.debug("link error", { error: String((error as Error)?.message ?? error) }));
    client.on("close", () => {
      if (this.client === client) this.linkLost("connection closed");
    });
    this.client = client;
    try {
      const endpoint = this.endpoint;
      if (endpoint.kind === "tcp") await client.connectTCP(endpoint.host, { port: endpoint.port });
      // modbus-serial's "telnet" port is plain RTU frames over a TCP stream (its "TcpRTUBuffered" is MBAP).
      else if (endpoint.kind === "rtu+tcp") await client.connectTelnet(endpoint.host, { port: endpoint.port });
      else
        await client.connectRTUBuffered(endpoint.path, {
          baudRate: endpoint.baudRate,
          parity: endpoint.parity,
          stopBits: endpoint.stopBits,
          dataBits: endpoint.dataBits,
        });
    } catch (error) {
      if (this.client === client) this.client = undefined;
      closeQuietly(client);
      if (this.stopped) return;
      this.events.count("connect_failures");
      this.scheduleReconnect(`connect failed: ${messageOf(error)}`);
      return;
    }
    if (this.stopped || this.client !== client) {
      closeQuietly(client);
      return;
    }
    this.connected = true;
    this.reconnectBackoff.reset();
    this.log.info("link up", { link: this.label });
    this.events.onUp();
    for (const resolve of this.upWaiters.splice(0)) resolve();
  }

  private linkLost(reason: string): void {
    if (this.stopped || !this.client) return;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    client.removeAllListeners();
    client.on("error", () => undefined);
    closeQuietly(client);
    this.events.count("link_drops");
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.reconnectBackoff.next();
    this.log.warn("link down, reconnecting", { link: this.label, reason, retry_in_ms: Math.round(delay) });
    this.events.onDown(`${this.label}: ${reason}`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.rejectStopping(new LinkDownError("stopped"));
    clearTimeout(this.reconnectTimer);
    for (const resolve of this.upWaiters.splice(0)) resolve();
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await new Promise<void>((resolve) => closeQuietly(client, resolve));
  }
}

/** Capped exponential backoff with ±25 % jitter, so a hundred bridges do not retry in step. */
function readTable(client: Client, table: Table, address: number, count: number): Promise<{ data: number[] | boolean[] }> {
  switch (table) {
    case "holding":
      return client.readHoldingRegisters(address, count);
    case "input":
      return client.readInputRegisters(address, count);
    case "coil":
      return client.readCoils(address, count);
    case "discrete":
      return client.readDiscreteInputs(address, count);
  }
}

class DeadlineError extends Error {
  override name = "DeadlineError";
}

/** modbus-serial times out by itself; this guards against a request it forgets after a link drop. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError("deadline")), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function closeQuietly(client: Client, done?: () => void): void {
  let called = false;
  const finish = () => {
    if (!called) {
      called = true;
      done?.();
    }
  };
  try {
    if (client.destroy) client.destroy(finish);
    else client.close(finish);
  } catch {
    finish();
  }
  // Some ports never call back when already closed.
  setTimeout(finish, 200).unref();
}
