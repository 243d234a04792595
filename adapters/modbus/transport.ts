/**
 * The link: one modbus-serial client on one connection, with one request in flight at a time
 * (a serial bus allows nothing else, and a TCP gateway in front of a serial bus neither), a
 * quiet gap between requests, timeouts, retries of timed-out requests, and reconnection with
 * capped exponential backoff and jitter when the link drops.
 */
import { Backoff, sleep } from "../../src/backoff.js";
import type { Logger } from "../../src/log.js";
import { describeSerialOpenError } from "../../src/serial-port-errors.js";
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
  /** Requests in a row that no device answered at all (an exception is an answer). */
  private unansweredInARow = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly reconnectBackoff: Backoff;
  private upWaiters: (() => void)[] = [];
  /** Rejects when stop() is called, so a request in flight does not hold stop() up until its timeout. */
  private readonly stopping: Promise<never>;
  private rejectStopping: (error: Error) => void = () => undefined;
  /** Rejects when the current connection is lost, so a request in flight fails at once (modbus-serial leaves it pending). */
  private lost: Promise<never> = new Promise<never>(() => undefined);
  private rejectLost: (error: Error) => void = () => undefined;
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
   * repeated `retries` times, each repeat queued behind the requests that arrived meanwhile, so a
   * dead device holds the link for one timeout at a time, not timeout × (retries + 1).
   * Throws ModbusExceptionError, ModbusTimeoutError or LinkDownError.
   */
  async read(unitId: number, table: Table, address: number, count: number): Promise<number[] | boolean[]> {
    let timedOut = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.enqueue(() => this.readNow(unitId, table, address, count, timedOut));
      } catch (failure) {
        if (failure instanceof ModbusTimeoutError && attempt < this.options.retries) {
          if (!(failure instanceof BadAnswerError)) timedOut = true;
          continue;
        }
        throw failure;
      }
    }
  }

  private enqueue<T>(request: () => Promise<T>): Promise<T> {
    const run = this.chain.then(request);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private gapLeft(): number {
    return this.lastRequestEnd + this.options.gapMs - performance.now();
  }

  private async readNow(
    unitId: number,
    table: Table,
    address: number,
    count: number,
    afterTimeout: boolean,
  ): Promise<number[] | boolean[]> {
    // Node's timers count whole milliseconds from the loop's cached time and can fire up to 1 ms
    // early: wait out what is left, so the bus is quiet for at least the gap.
    for (let wait = this.gapLeft(); wait > 0; wait = this.gapLeft()) await sleep(wait);
    const client = this.client;
    const lost = this.lost;
    if (this.stopped || !this.connected || !client) throw new LinkDownError(`link ${this.label} is down`);
    if (this.endpoint.kind !== "tcp") this.dropStaleBytes(client);
    this.events.count("requests");
    try {
      client.setID(unitId);
      const answer = await Promise.race([
        withDeadline(readTable(client, table, address, count), this.options.timeoutMs + 250),
        this.stopping,
        lost,
      ]);
      // The answer to a retry may have been the late answer to the attempt that timed out; then the
      // retry's own answer is still on its way. Let it arrive and drop it before the link moves on.
      if (afterTimeout && this.endpoint.kind !== "tcp") await this.drainLateAnswer(client);
      this.unansweredInARow = 0;
      return answer.data.slice(0, count) as number[] | boolean[];
    } catch (error) {
      let failure = classify(error);
      // A timeout on a port that closed underneath (a reset modbus-serial does not report as a close)
      // is the link's fault, not the device's.
      if (failure instanceof ModbusTimeoutError && !client.isOpen) failure = new LinkDownError("connection lost");
      if (failure instanceof ModbusTimeoutError) this.events.count(failure instanceof BadAnswerError ? "bad_answers" : "timeouts");
      if (failure instanceof LinkDownError) this.linkLost(failure.message);
      else if (failure instanceof ModbusTimeoutError && !(failure instanceof BadAnswerError)) this.noAnswer();
      else this.unansweredInARow = 0;
      throw failure;
    } finally {
      this.lastRequestEnd = performance.now();
    }
  }

  /**
   * RTU frames carry no transaction id: an answer that arrived after its request timed out waits in
   * modbus-serial's receive buffer and would be taken as the answer to the next request of the same
   * unit, function and length: another register's value, and every later answer one behind. With
   * one request in flight at a time, anything received before a request is sent is stale.
   */
  private async drainLateAnswer(client: Client): Promise<void> {
    const raw = portOf(client)?._client;
    await Promise.race([
      new Promise<void>((resolve) => {
        let timer = setTimeout(done, this.options.timeoutMs);
        // Bytes arriving: the late answer. Give the rest of its frame a moment, then stop waiting.
        const onData = () => {
          clearTimeout(timer);
          timer = setTimeout(done, LATE_FRAME_SETTLE_MS);
        };
        raw?.on?.("data", onData);
        function done() {
          clearTimeout(timer);
          raw?.off?.("data", onData);
          resolve();
        }
      }),
      this.stopping,
      this.lost,
    ]).catch(() => undefined);
    this.dropStaleBytes(client);
  }

  private dropStaleBytes(client: Client): void {
    const port = portOf(client);
    if (port?._buffer && port._buffer.length > 0) {
      this.events.count("stale_bytes_dropped", port._buffer.length);
      port._buffer = Buffer.alloc(0);
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
      this.scheduleReconnect(
        `connect failed: ${this.endpoint.kind === "rtu" ? describeSerialOpenError(error, this.endpoint.path) : messageOf(error)}`,
      );
      return;
    }
    if (this.stopped || this.client !== client) {
      closeQuietly(client);
      return;
    }
    // modbus-serial's TCP port reports no "close" after a socket error (a reset from a device that
    // rebooted): watch the socket (or serial port) itself too.
    portOf(client)?._client?.on?.("close", () => {
      if (this.client === client) this.linkLost("connection closed");
    });
    this.lost = new Promise<never>((_, reject) => {
      this.rejectLost = reject;
    });
    this.lost.catch(() => undefined);
    this.connected = true;
    this.unansweredInARow = 0;
    this.reconnectBackoff.reset();
    this.log.info("link up", { link: this.label });
    this.events.onUp();
    for (const resolve of this.upWaiters.splice(0)) resolve();
  }

  /**
   * A network connection can go silent without closing: a cable pulled behind a switch, a NAT or
   * firewall entry that expired. The kernel would only give up on it after many minutes of
   * retransmissions, so after a few requests in a row that nothing answered, the connection is
   * replaced. A serial port cannot go stale this way: there silence means the devices.
   */
  private noAnswer(): void {
    if (this.endpoint.kind === "rtu") return;
    if (++this.unansweredInARow < STALE_AFTER_UNANSWERED) return;
    this.events.count("stale_reconnects");
    this.linkLost(`no answer to ${STALE_AFTER_UNANSWERED} requests in a row: replacing the connection in case it went stale`);
  }

  private linkLost(reason: string): void {
    if (this.stopped || !this.client) return;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    this.rejectLost(new LinkDownError(reason));
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

/** Unanswered requests in a row after which a network connection is replaced (see noAnswer). */
const STALE_AFTER_UNANSWERED = 3;

/** How long the rest of a late frame may take once its first bytes arrived (a 256-byte frame at 9600 baud needs ~270 ms; most are short). */
const LATE_FRAME_SETTLE_MS = 50;

/**
 * modbus-serial's port object, a private field (pinned by test/adapters/modbus/link.test.ts): its
 * receive buffer, and the socket or serial port under it.
 */
interface ClientPort {
  _buffer?: Buffer;
  _client?: {
    on?(event: string, listener: () => void): void;
    off?(event: string, listener: () => void): void;
  };
}
function portOf(client: Client): ClientPort | undefined {
  return (client as unknown as { _port?: ClientPort })._port;
}

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
