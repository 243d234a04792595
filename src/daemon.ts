/**
 * The bridge's lifecycle: config → pipeline and one queue per source → sinks (the uplink, or
 * `tail`'s printer) → adapters. Stops in reverse within a deadline; reloads on SIGHUP,
 * restarting only the adapters whose settings changed and keeping every queue.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { AdapterState, CommandResult } from "./adapter-contract.js";
import type { AdapterSummary, BridgeControl, StreamRequest } from "./bridge-control.js";
import { BridgeClock, bootId } from "./clock.js";
import type { AdapterConfig, BridgeConfig } from "./config/index.js";
import { ConfigureOverlay } from "./configure-overlay.js";
import type { Logger } from "./log.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { SourceQueue } from "./pipeline/queue.js";
import type { QueueOptions } from "./pipeline/queue-options.js";
import { spoolLimits } from "./pipeline/queue-spooler.js";
import { Spool } from "./pipeline/spool.js";
import { accountingLines } from "./status/accounting.js";
import { AdapterSupervisor, adapterOf, describeError, type SupervisorOptions } from "./supervisor.js";
import { UplinkState } from "./uplink/state.js";

/** Where a source's queue drains to: the uplink, or `tail`'s printer. */
export interface Sink {
  start(): void | Promise<void>;
  /** Delivers what it can until the deadline, then gives the rest back to the queue. */
  stop(deadlineMs: number): Promise<void>;
  reportDeviceError?(source: string, error: string, severity: "error" | "warning" | "info"): void;
  stats?(): unknown;
}

export interface SinkContext {
  sourceId: string;
  queue: SourceQueue;
  clock: BridgeClock;
  log: Logger;
  stateDir: string;
  control: BridgeControl;
  sensors: () => { name: string; description: string; metrics?: string[]; sample_rate?: number; prefix: string; available: boolean }[];
}

export type SinkFactory = (context: SinkContext) => Sink;

export interface DaemonOptions {
  log: Logger;
  stateDir: string;
  sinkFactory: SinkFactory;
  clock?: BridgeClock;
  /** Overrides the config's queue settings (tail uses memory). */
  queueOverride?: Partial<QueueOptions>;
  /** Only these adapter ids run (tail --adapter). */
  onlyAdapters?: string[];
  supervisor?: SupervisorOptions;
}

export class Daemon implements BridgeControl {
  readonly clock: BridgeClock;
  readonly pipeline: Pipeline;
  private readonly log: Logger;
  private readonly supervisors = new Map<string, AdapterSupervisor>();
  private readonly sinks = new Map<string, Sink>();
  private readonly runId = randomUUID();
  /** Dashboard configure changes, kept across reloads and restarts until the adapter's YAML changes. */
  private readonly overlay: ConfigureOverlay;
  private readonly finishedIds = new Set<string>();
  private finishWaiters: (() => void)[] = [];
  private stopping = false;
  private running = false;
  /** Wall-clock ms of the start and of the last applied reload (the status page shows them). */
  readonly startedAt = Date.now();
  reloadedAt: number | undefined;

  constructor(
    private config: BridgeConfig,
    private readonly options: DaemonOptions,
  ) {
    this.log = options.log;
    this.clock = options.clock ?? new BridgeClock();
    this.pipeline = new Pipeline(this.clock, this.log.child("pipeline"));
    this.overlay = ConfigureOverlay.inStateDir(options.stateDir, this.log.child("configure"));
  }

  async start(): Promise<void> {
    this.overlay.apply(this.selectedAdapters(this.config));
    for (const adapter of this.selectedAdapters(this.config)) this.ensureSource(adapter.sourceId);
    this.ensureSource(this.config.plexus.source_id);
    for (const sink of this.sinks.values()) await sink.start();
    this.running = true;
    for (const adapter of this.selectedAdapters(this.config)) this.startAdapter(adapter);
    this.log.info(`running ${this.supervisors.size} adapter(s) for ${this.sinks.size} source(s)`);
  }

  /** Stops adapters, lets the sinks deliver until the deadline, then spools the rest. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const deadline = this.config.shutdownTimeoutMs;
    const started = this.clock.monotonicMs();
    await Promise.all([...this.supervisors.values()].map((s) => s.stop(Math.min(5000, deadline))));
    const left = Math.max(0, deadline - (this.clock.monotonicMs() - started));
    await Promise.all([...this.sinks.values()].map((sink) => sink.stop(left)));
    this.pipeline.close();
    for (const sourceId of this.pipeline.sources()) this.pipeline.queue(sourceId)?.close();
    for (const line of accountingLines(this.stats())) this.log.info(`stopped: ${line}`);
  }

  /** Applies a new, already validated config: adapters whose settings changed restart; queues stay. */
  async reload(next: BridgeConfig): Promise<{ restarted: string[]; started: string[]; stopped: string[] }> {
    const before = new Map(this.selectedAdapters(this.config).map((a) => [a.id, a]));
    const after = new Map(this.selectedAdapters(next).map((a) => [a.id, a]));
    const restarted: string[] = [];
    const started: string[] = [];
    const stopped: string[] = [];
    // Before comparing: optionsKey is the YAML's fingerprint, which the overlay leaves alone.
    this.overlay.apply(this.selectedAdapters(next));
    const plexusChanged = JSON.stringify(next.plexus) !== JSON.stringify(this.config.plexus) || next.apiKey !== this.config.apiKey;
    if (plexusChanged || JSON.stringify(next.queue) !== JSON.stringify(this.config.queue)) {
      this.log.warn("changes to the plexus: and queue: sections take effect at the next restart");
    }
    const operationsKey = (c: BridgeConfig) => JSON.stringify([c.status, c.status ? c.status.token : undefined, c.telemetry]);
    if (operationsKey(next) !== operationsKey(this.config)) {
      this.log.warn("changes to the status: and telemetry: sections take effect at the next restart");
    }
    for (const [id, old] of before) {
      const fresh = after.get(id);
      if (fresh && fresh.optionsKey === old.optionsKey) continue;
      await this.supervisors.get(id)?.stop();
      this.supervisors.delete(id);
      if (fresh) restarted.push(id);
      else stopped.push(id);
    }
    // The uplinks keep the settings they started with; the API key is a hidden field a spread would lose.
    const current = this.config;
    this.config = { ...next, plexus: current.plexus, queue: current.queue };
    Object.defineProperty(this.config, "apiKey", { value: current.apiKey, enumerable: false });
    for (const [id, adapter] of after) {
      if (this.supervisors.has(id)) continue;
      if (!before.has(id)) started.push(id);
      this.ensureSource(adapter.sourceId);
      this.startAdapter(adapter);
    }
    this.reloadedAt = Date.now();
    this.log.info(
      `reloaded: ${restarted.length} restarted${restarted.length ? ` (${restarted.join(", ")})` : ""}, ${started.length} added, ${stopped.length} removed`,
    );
    return { restarted, started, stopped };
  }

  /** Routes an exception that escaped adapter code to that adapter; false when it is not an adapter's. */
  handleUncaught(error: unknown): boolean {
    const supervisor = adapterOf();
    if (!supervisor) return false;
    supervisor.fail(error);
    return true;
  }

  /** Resolves when every running adapter has called finished() (replays at their end). */
  allFinished(): Promise<void> {
    if (this.everyFinished()) return Promise.resolve();
    return new Promise((resolve) => this.finishWaiters.push(resolve));
  }

  supervisor(id: string): AdapterSupervisor | undefined {
    return this.supervisors.get(id);
  }

  /** The config file in use. */
  get configFile(): string {
    return this.config.file;
  }

  /** True from the moment stop() is called. */
  get isStopping(): boolean {
    return this.stopping;
  }

  stats() {
    return {
      run_id: this.runId,
      clock: {
        synced: this.clock.synced,
        offset_ms: this.clock.sync.offsetMs,
        offset_age_ms: this.clock.offsetAgeMs(),
        rtt_ms: this.clock.sync.rttMs,
      },
      ...this.pipeline.stats(),
      adapter_state: Object.fromEntries(
        [...this.supervisors.values()].map((s) => [
          s.id,
          {
            type: s.config.type,
            source: s.config.sourceId,
            state: s.state,
            link: s.linkState,
            detail: s.linkDetail,
            restarts: s.restarts,
            last_error: s.lastError,
            counters: Object.fromEntries(s.counters),
          },
        ]),
      ),
      uplinks: Object.fromEntries([...this.sinks].map(([id, sink]) => [id, sink.stats?.()])),
      queues: Object.fromEntries(this.pipeline.sources().map((id) => [id, this.pipeline.queue(id)!.depth()])),
      configure_overlay: this.overlay.summary(),
    };
  }

  // ---- BridgeControl ----

  adapters(): AdapterSummary[] {
    return this.config.adapters.map((a) => ({
      id: a.id,
      type: a.type,
      sourceId: a.sourceId,
      enabled: this.supervisors.get(a.id)?.state !== "disabled" && this.supervisors.has(a.id),
      options: a.options,
      commands: a.definition.commands ?? [],
    }));
  }

  setSession(sourceId: string, session: { id: string; name?: string } | undefined): void {
    this.pipeline.setSession(sourceId, session);
  }

  setStream(sourceId: string, stream: StreamRequest | undefined): void {
    this.pipeline.setStream(sourceId, stream);
  }

  async setAdapterEnabled(id: string, enabled: boolean): Promise<void> {
    const adapter = this.config.adapters.find((a) => a.id === id);
    if (!adapter) throw new Error(`unknown adapter: ${id}`);
    const running = this.supervisors.get(id);
    if (enabled && !running) this.startAdapter({ ...adapter, enabled: true });
    if (!enabled && running) {
      await running.stop();
      this.supervisors.delete(id);
    }
  }

  async configureAdapter(id: string, change: Record<string, unknown>): Promise<CommandResult> {
    const adapter = this.config.adapters.find((a) => a.id === id);
    if (!adapter) throw new Error(`unknown sensor: ${id} (adapters: ${this.config.adapters.map((a) => a.id).join(", ")})`);
    const tunable = adapter.definition.runtimeTunable ?? [];
    const refused = Object.keys(change).filter((key) => !tunable.includes(key));
    if (refused.length > 0) {
      throw new Error(
        `${refused.join(", ")} cannot be changed at run time on ${id}${tunable.length ? ` (runtime-tunable: ${tunable.join(", ")})` : " (it has no runtime-tunable options)"}`,
      );
    }
    const merged = { ...adapter.options, ...change };
    const parsed = adapter.definition.options.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid ${issue.path.join(".") || "value"}: ${issue.message}`);
    }
    const applied: Record<string, unknown> = {};
    for (const key of Object.keys(change)) applied[key] = (parsed.data as Record<string, unknown>)[key];
    const supervisor = this.supervisors.get(id);
    if (!supervisor) throw new Error(`adapter ${id} is not running`);
    const result = await supervisor.configure(applied);
    adapter.options = parsed.data as Record<string, unknown>;
    const unsaved = this.overlay.record(adapter, applied);
    const kept = unsaved
      ? `not saved (${unsaved}): applies until the next restart`
      : `kept across reloads and restarts until adapters.${id} changes in ${this.config.file}`;
    return { applied, ...result, persisted: unsaved === undefined, note: kept };
  }

  async adapterCommand(id: string, name: string, params: Record<string, unknown>): Promise<CommandResult> {
    const supervisor = this.supervisors.get(id);
    if (!supervisor) throw new Error(`adapter ${id} is not running`);
    if (!(supervisor.config.definition.commands ?? []).includes(name)) throw new Error(`adapter ${id} does not answer ${name}`);
    return supervisor.command(name, params);
  }

  // ---- internals ----

  private selectedAdapters(config: BridgeConfig): AdapterConfig[] {
    const only = this.options.onlyAdapters;
    return config.adapters.filter((a) => !only || only.includes(a.id));
  }

  private ensureSource(sourceId: string): void {
    if (this.pipeline.queue(sourceId)) return;
    const queueOptions = { ...this.config.queue, ...this.options.queueOverride };
    const spool = queueOptions.durability === "memory" ? undefined : this.openSpool(sourceId, queueOptions);
    const queue = new SourceQueue(sourceId, queueOptions, this.pipeline.countersFor(sourceId), this.log.child(`queue ${sourceId}`), spool);
    this.pipeline.addQueue(queue);
    const sink = this.options.sinkFactory({
      sourceId,
      queue,
      clock: this.clock,
      log: this.log.child(`uplink ${sourceId}`),
      stateDir: this.options.stateDir,
      control: this,
      sensors: () => this.sensorsOf(sourceId),
    });
    this.sinks.set(sourceId, sink);
    // A source added by a reload starts at once; at start-up, start() starts them all.
    if (this.running) void sink.start();
  }

  /**
   * A spool that cannot be opened (a read-only or full state dir, permissions) must not stop the
   * bridge: the source runs from memory, and what memory cannot hold is dropped and counted.
   */
  private openSpool(sourceId: string, queueOptions: QueueOptions): Spool | undefined {
    const path = join(this.options.stateDir, "spool", sourceId);
    try {
      return new Spool(
        path,
        { bootId: bootId(), runId: this.runId, monoNow: () => this.clock.monotonicMs(), wallNow: () => Date.now() },
        this.log.child("spool"),
        // A wave-1 SQLite spool of this source is replayed once, then deleted.
        { legacyDb: `${path}.db`, limits: spoolLimits(queueOptions) },
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.log.error(
        `cannot open the spool ${path} (${typeof code === "string" ? `${code}: ` : ""}${describeError(error)}); ${sourceId} queues in memory only until the next start`,
      );
      return undefined;
    }
  }

  private sensorsOf(sourceId: string) {
    return this.config.adapters
      .filter((a) => a.sourceId === sourceId)
      .map((a) => {
        const info = this.supervisors.get(a.id)?.describe();
        return {
          name: a.id,
          description: info?.description ?? `${a.type} adapter ${a.id}`,
          metrics: info?.metrics?.map((m) => a.prefix + m),
          sample_rate: info?.sample_rate,
          prefix: a.prefix,
          available: this.supervisors.get(a.id)?.state === "running",
        };
      });
  }

  /** The install id for adapters; undefined when the state directory cannot keep one (they fall back). */
  private installId(): string | undefined {
    try {
      return new UplinkState(this.options.stateDir).installId();
    } catch {
      return undefined;
    }
  }

  private startAdapter(adapter: AdapterConfig): void {
    const origin = this.pipeline.addAdapter({
      id: adapter.id,
      sourceId: adapter.sourceId,
      prefix: adapter.prefix,
      tags: Object.keys(adapter.tags).length > 0 ? adapter.tags : undefined,
      stream: adapter.stream,
      report: adapter.report,
    });
    const supervisor = new AdapterSupervisor(
      adapter,
      origin,
      this.pipeline,
      this.clock,
      this.log,
      {
        status: (id, state, detail) => this.onStatus(id, state, detail),
        finished: (id) => this.onFinished(id),
      },
      { configDir: this.config.dir, installId: this.installId(), stateDir: this.options.stateDir, ...this.options.supervisor },
    );
    this.supervisors.set(adapter.id, supervisor);
    this.finishedIds.delete(adapter.id);
    supervisor.start();
  }

  private onStatus(id: string, state: AdapterState, detail: string | undefined): void {
    const adapter = this.config.adapters.find((a) => a.id === id);
    if (!adapter) return;
    const line = `${state}${detail ? `: ${detail}` : ""}`;
    if (state === "down") this.log.child(id).warn(line);
    else this.log.child(id).info(line);
    const sink = this.sinks.get(adapter.sourceId);
    try {
      sink?.reportDeviceError?.(`adapter.${id}`, line, state === "down" ? "error" : "info");
    } catch (error) {
      this.log.warn(`could not report ${id} state: ${describeError(error)}`);
    }
  }

  private onFinished(id: string): void {
    this.finishedIds.add(id);
    this.log.child(id).info("finished (end of replay)");
    if (this.everyFinished()) for (const resolve of this.finishWaiters.splice(0)) resolve();
  }

  private everyFinished(): boolean {
    const running = [...this.supervisors.values()].filter((s) => s.state !== "disabled");
    return running.length > 0 && running.every((s) => this.finishedIds.has(s.id));
  }
}
