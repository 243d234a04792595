/**
 * SocketCAN through the optional `socketcan` npm package (native, Linux only), imported when this
 * transport starts. Id filters go to the kernel (CAN_RAW_FILTER), so unwanted frames never reach
 * Node. A bus that goes away (interface down, module unloaded) is reopened with backoff. A CAN bus
 * cannot be paused: frames keep flowing and the queue applies its when_full policy.
 */
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { abortWith, Backoff, orAbort, sleep } from "../../../src/backoff.js";
import { installHint } from "../../../src/install-hint.js";
import { rmemDefault, socketcanBufferAdvice } from "../../../src/socket-buffer.js";
import type { CanFrame } from "../frame.js";
import type { CanRuntime, IdFilter } from "../runtime.js";

/** The parts of the `socketcan` package this transport uses. */
export interface SocketcanMessage {
  id: number;
  ext?: boolean;
  rtr?: boolean;
  err?: boolean;
  data: Uint8Array;
}

export interface RawChannel {
  addListener(event: "onMessage", callback: (message: SocketcanMessage) => void): void;
  addListener(event: "onStopped", callback: () => void): void;
  setRxFilters(filters: { id: number; mask: number; invert?: boolean }[]): void;
  start(): void;
  stop(): void;
}

export interface SocketcanModule {
  createRawChannel(channel: string, timestamps?: boolean): RawChannel;
}

export type LoadSocketcan = () => Promise<SocketcanModule>;

export interface SocketcanSettings {
  channel: string;
  filters: IdFilter[];
  minMs: number;
  maxMs: number;
  /** net.core.rmem_default, bytes (injectable for tests); the package cannot set SO_RCVBUF itself. */
  rmemDefault?: () => number | undefined;
}

const CAN_EFF_FLAG = 0x80000000;

/**
 * Named through a variable so that the compiler does not look for it: the package is not a
 * dependency (it compiles at install) but installed by whoever needs SocketCAN, so `npm run build`
 * and `tsc` must work without it.
 */
const SOCKETCAN_PACKAGE = "socketcan";

export const loadSocketcanPackage: LoadSocketcan = async () => {
  try {
    const module = (await import(SOCKETCAN_PACKAGE)) as Partial<SocketcanModule> & { default: SocketcanModule };
    // A CommonJS package: Node exposes its exports as named exports when it can, always as default.
    return "createRawChannel" in module ? (module as SocketcanModule) : module.default;
  } catch (error) {
    throw new Error(
      `interface: socketcan needs the optional "socketcan" package (Linux only), which is not installed or did not build: ${(error as Error).message}. Install it with: ${installHint("socketcan@4.0")} (it compiles a native module: g++, make, python3)`,
    );
  }
};

/** Kernel filters match on id plus the EFF flag, so a standard filter never matches an extended id. */
export function kernelFilters(filters: IdFilter[]) {
  return filters.map((filter) => {
    const mask = filter.mask ?? (filter.extended ? 0x1fffffff : 0x7ff);
    return {
      id: ((filter.id & mask) | (filter.extended ? CAN_EFF_FLAG : 0)) >>> 0,
      mask: (mask | CAN_EFF_FLAG) >>> 0,
      invert: filter.invert,
    };
  });
}

export class SocketcanTransport {
  private readonly abort = new AbortController();
  private channel: RawChannel | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly settings: SocketcanSettings,
    private readonly runtime: CanRuntime,
    private readonly ctx: AdapterContext,
    private readonly load: LoadSocketcan = loadSocketcanPackage,
  ) {
    this.backoff = new Backoff({ initialMs: settings.minMs, maxMs: settings.maxMs });
    abortWith(ctx.signal, this.abort);
  }

  /** Loads the package (a missing package fails start() with instructions), then opens the channel. */
  async start(): Promise<void> {
    const module = await this.load();
    let firstAttempt: () => void = () => {};
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.loop = this.run(module, firstAttempt);
    await attempted;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.closeChannel();
    await this.loop;
  }

  private async run(module: SocketcanModule, firstAttempt: () => void) {
    const signal = this.abort.signal;
    const name = this.settings.channel;
    try {
      while (!signal.aborted) {
        try {
          const stopped = this.open(module);
          this.backoff.reset();
          this.adviseBufferOnce();
          this.ctx.status("up", `socketcan ${name}`);
          firstAttempt();
          await orAbort(stopped, signal, undefined);
          if (signal.aborted) return;
          this.ctx.status("down", `socketcan ${name}: the interface stopped (down or removed)`);
          this.ctx.count("reconnects");
        } catch (error) {
          if (signal.aborted) return;
          this.ctx.status(
            "down",
            `socketcan ${name}: ${(error as Error).message} (does the interface exist and is it up? ip link show ${name})`,
          );
          firstAttempt();
        }
        this.closeChannel();
        await sleep(this.backoff.next(), signal);
      }
    } finally {
      // Stopped while the package was loading: start() must not wait for an attempt never made.
      firstAttempt();
      this.closeChannel();
    }
  }

  /** Opens the channel; returns a promise that resolves when the kernel reports it stopped. */
  private open(module: SocketcanModule): Promise<void> {
    const channel = module.createRawChannel(this.settings.channel, false);
    this.channel = channel;
    const name = this.settings.channel;
    const stopped = new Promise<void>((resolve) => channel.addListener("onStopped", resolve));
    channel.addListener("onMessage", (message) => {
      const data = message.data;
      const frame: CanFrame = {
        id: message.id,
        extended: message.ext === true,
        rtr: message.rtr === true,
        error: message.err === true,
        fd: data.length > 8,
        data,
        channel: name,
        timestampMs: undefined,
      };
      this.runtime.push(frame);
    });
    if (this.settings.filters.length > 0) channel.setRxFilters(kernelFilters(this.settings.filters));
    channel.start();
    return stopped;
  }

  private bufferAdvised = false;

  /** Once per transport: a receive buffer too small for a busy bus is said, with the sysctl that grows it. */
  private adviseBufferOnce() {
    if (this.bufferAdvised) return;
    this.bufferAdvised = true;
    const advice = socketcanBufferAdvice(this.settings.channel, (this.settings.rmemDefault ?? rmemDefault)());
    if (advice) this.ctx.log.warn(advice);
  }

  private closeChannel() {
    const channel = this.channel;
    this.channel = undefined;
    try {
      channel?.stop();
    } catch (error) {
      this.ctx.log.debug(`closing ${this.settings.channel}: ${(error as Error).message}`);
    }
  }
}
