/**
 * Runs one adapter: creates and starts it, restarts it with capped exponential backoff and
 * jitter when it fails to start or throws later, and stops it within a deadline. Each adapter
 * runs inside its own async context, so an exception thrown from any of its callbacks is
 * attributed to it (see `adapterOf`) and restarts only that adapter.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Adapter, AdapterContext, AdapterState, CommandResult, SensorInfo } from "./adapter-contract.js";
import { Backoff, sleep } from "./backoff.js";
import type { Clock } from "./clock.js";
import type { AdapterConfig } from "./config/index.js";
import type { Logger } from "./log.js";
import type { Pipeline } from "./pipeline/pipeline.js";

const adapterScope = new AsyncLocalStorage<AdapterSupervisor>();

/** The supervisor whose adapter's code is running now (for uncaught exceptions). */
export function adapterOf(): AdapterSupervisor | undefined {
  return adapterScope.getStore();
}

export type SupervisorState = "starting" | "running" | "backoff" | "finished" | "stopped" | "disabled";

export interface SupervisorEvents {
  /** The adapter reported a connection state (or failed): the uplink sends it as a device_error. */
  status(id: string, state: AdapterState, detail: string | undefined): void;
  /** The adapter's source is exhausted (a replay that ended). */
  finished(id: string): void;
}

export interface SupervisorOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run this long resets the backoff. */
  stableMs?: number;
  stopTimeoutMs?: number;
  /** The config file's folder: adapters resolve relative paths against it. */
  configDir?: string;
  installId?: string;
  /** The bridge's state dir (AdapterContext.stateDir). */
  stateDir?: string;
}

export class AdapterSupervisor {
  state: SupervisorState = "stopped";
  restarts = 0;
  lastError: string | undefined;
  linkState: AdapterState | undefined;
  linkDetail: string | undefined;
  readonly counters = new Map<string, number>();
  private adapter: Adapter | undefined;
  private stopAbort = new AbortController();
  private failed: ((error: unknown) => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly log: Logger;

  constructor(
    readonly config: AdapterConfig,
    private readonly origin: number,
    private readonly pipeline: Pipeline,
    private readonly clock: Clock,
    log: Logger,
    private readonly events: SupervisorEvents,
    private readonly options: SupervisorOptions = {},
  ) {
    this.log = log.child(config.id);
    this.backoff = new Backoff({ initialMs: options.initialBackoffMs ?? 1000, maxMs: options.maxBackoffMs ?? 60_000 });
  }

  get id(): string {
    return this.config.id;
  }

  start(): void {
    if (this.loop) return;
    if (!this.config.enabled) {
      this.state = "disabled";
      return;
    }
    this.stopAbort = new AbortController();
    this.loop = this.run();
  }

  /** Stops the adapter; resolves within the deadline even if the adapter's stop() hangs. */
  async stop(deadlineMs = this.options.stopTimeoutMs ?? 5000): Promise<void> {
    this.stopAbort.abort();
    this.failed?.(undefined);
    const loop = this.loop;
    this.loop = undefined;
    if (loop) await Promise.race([loop, sleep(deadlineMs)]);
    this.state = this.config.enabled ? "stopped" : "disabled";
  }

  /** An exception escaped the adapter's code: restart it (or, once stopping, only say so). */
  fail(error: unknown): void {
    if (this.stopAbort.signal.aborted) {
      this.log.warn(`failed while stopping: ${describeError(error)}`);
      return;
    }
    if (this.failed) this.failed(error ?? new Error("adapter failed"));
  }

  describe(): SensorInfo | undefined {
    try {
      return this.adapter?.describe?.();
    } catch {
      return undefined;
    }
  }

  async configure(change: Record<string, unknown>): Promise<CommandResult> {
    if (!this.adapter?.configure) throw new Error(`adapter ${this.id} is not running or cannot be configured at run time`);
    return adapterScope.run(this, () => this.adapter!.configure!(change));
  }

  async command(name: string, params: Record<string, unknown>): Promise<CommandResult> {
    if (!this.adapter?.command) throw new Error(`adapter ${this.id} is not running or does not answer ${name}`);
    return adapterScope.run(this, () => this.adapter!.command!(name, params));
  }

  private async run(): Promise<void> {
    while (!this.stopAbort.signal.aborted) {
      this.state = "starting";
      const runAbort = new AbortController();
      const failure = new Promise<unknown>((resolve) => {
        this.failed = resolve;
      });
      let startedAt = 0;
      try {
        const adapter = adapterScope.run(this, () => this.config.definition.create(this.config.options, this.context(runAbort.signal)));
        this.adapter = adapter;
        const started = adapterScope.run(this, () => adapter.start());
        const outcome = await Promise.race([started.then(() => "started" as const), failure.then((error) => ({ error }))]);
        if (outcome !== "started") throw outcome.error ?? new Error("stopped while starting");
        if (this.stopAbort.signal.aborted) break;
        if (this.state === "starting") this.state = "running";
        startedAt = this.clock.monotonicMs();
        this.log.info("started");
        const error = await failure;
        if (this.stopAbort.signal.aborted) break;
        throw error;
      } catch (error) {
        if (this.stopAbort.signal.aborted) break;
        this.lastError = describeError(error);
        this.restarts++;
        this.log.error(`${startedAt ? "failed" : "failed to start"}: ${this.lastError}`);
        this.events.status(this.id, "down", this.lastError);
      } finally {
        this.failed = undefined;
        runAbort.abort();
        await this.stopAdapter();
      }
      if (startedAt && this.clock.monotonicMs() - startedAt >= (this.options.stableMs ?? 60_000)) this.backoff.reset();
      const delay = this.backoff.next();
      this.state = "backoff";
      this.log.info(`restarting in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, this.stopAbort.signal);
    }
    await this.stopAdapter();
  }

  private async stopAdapter(): Promise<void> {
    const adapter = this.adapter;
    this.adapter = undefined;
    if (!adapter) return;
    try {
      await Promise.race([adapterScope.run(this, () => adapter.stop()), sleep(this.options.stopTimeoutMs ?? 5000)]);
    } catch (error) {
      this.log.warn(`stop failed: ${describeError(error)}`);
    }
  }

  private context(signal: AbortSignal): AdapterContext {
    const pipeline = this.pipeline;
    const origin = this.origin;
    return {
      id: this.id,
      log: this.log,
      clock: this.clock,
      signal,
      configDir: this.options.configDir ?? process.cwd(),
      installId: this.options.installId,
      stateDir: this.options.stateDir,
      emit: (points) => (signal.aborted ? false : pipeline.ingest(origin, points)),
      drained: () => pipeline.drained(origin),
      status: (state, detail) => {
        if (signal.aborted || (state === this.linkState && detail === this.linkDetail)) return;
        this.linkState = state;
        this.linkDetail = detail;
        this.events.status(this.id, state, detail);
      },
      count: (name, n = 1) => {
        this.counters.set(name, (this.counters.get(name) ?? 0) + n);
      },
      finished: () => {
        if (signal.aborted) return;
        this.state = "finished";
        this.events.finished(this.id);
      },
    };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
