/**
 * Runs one adapter outside the daemon: a real AdapterContext whose emit() collects points, with
 * backpressure under the test's control. For adapter tests; the daemon tests use the real core.
 */
import type { AdapterContext, AdapterDefinition, AdapterState } from "../../src/adapter-contract.js";
import type { Clock } from "../../src/clock.js";
import type { LogFields, Logger } from "../../src/log.js";
import type { PointInput } from "../../src/pipeline/point.js";

export interface LoggedLine {
  level: "debug" | "info" | "warn" | "error";
  scope: string;
  message: string;
  fields?: LogFields;
}

export class MemoryLogger implements Logger {
  constructor(
    readonly lines: LoggedLine[] = [],
    private readonly scope = "",
  ) {}
  debug(message: string, fields?: LogFields) {
    this.lines.push({ level: "debug", scope: this.scope, message, fields });
  }
  info(message: string, fields?: LogFields) {
    this.lines.push({ level: "info", scope: this.scope, message, fields });
  }
  warn(message: string, fields?: LogFields) {
    this.lines.push({ level: "warn", scope: this.scope, message, fields });
  }
  error(message: string, fields?: LogFields) {
    this.lines.push({ level: "error", scope: this.scope, message, fields });
  }
  child(scope: string): Logger {
    return new MemoryLogger(this.lines, scope);
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
};

export interface HarnessOptions {
  id?: string;
  configDir?: string;
  /** emit() returns false once this many points are held (until release()). Default: never. */
  highWater?: number;
  clock?: Clock;
}

export class AdapterHarness {
  readonly points: PointInput[] = [];
  /** Each emit() call as it came, to check that a poll's points arrive together. */
  readonly batches: PointInput[][] = [];
  readonly states: { state: AdapterState; detail?: string }[] = [];
  readonly counters = new Map<string, number>();
  readonly log = new MemoryLogger();
  readonly abort = new AbortController();
  finishedCalled = false;
  private held = 0;
  private waiters: (() => void)[] = [];
  private finishWaiters: (() => void)[] = [];
  private pointWaiters: { count: number; resolve: () => void }[] = [];
  readonly context: AdapterContext;

  constructor(private readonly options: HarnessOptions = {}) {
    const harness = this;
    this.context = {
      id: options.id ?? "test",
      log: this.log.child(options.id ?? "test"),
      clock: options.clock ?? systemClock,
      signal: this.abort.signal,
      configDir: options.configDir ?? process.cwd(),
      emit(points) {
        harness.points.push(...points);
        harness.batches.push(points);
        harness.held += points.length;
        harness.pointWaiters = harness.pointWaiters.filter((w) => {
          if (harness.points.length >= w.count) w.resolve();
          return harness.points.length < w.count;
        });
        return options.highWater === undefined || harness.held < options.highWater;
      },
      drained() {
        if (options.highWater === undefined || harness.held < options.highWater) return Promise.resolve();
        return new Promise<void>((resolve) => harness.waiters.push(resolve));
      },
      status(state, detail) {
        harness.states.push({ state, detail });
      },
      count(name, n = 1) {
        harness.counters.set(name, (harness.counters.get(name) ?? 0) + n);
      },
      finished() {
        harness.finishedCalled = true;
        for (const resolve of harness.finishWaiters.splice(0)) resolve();
      },
    };
  }

  /** Simulates the uplink taking everything held: drained() waiters resume. */
  release() {
    this.held = 0;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  get heldCount() {
    return this.held;
  }

  waitForPoints(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.points.length >= count) return Promise.resolve();
    return withTimeout(
      new Promise<void>((resolve) => this.pointWaiters.push({ count, resolve })),
      timeoutMs,
      `waiting for ${count} points (have ${this.points.length})`,
    );
  }

  waitForFinished(timeoutMs = 10_000): Promise<void> {
    if (this.finishedCalled) return Promise.resolve();
    return withTimeout(new Promise<void>((resolve) => this.finishWaiters.push(resolve)), timeoutMs, "waiting for finished()");
  }

  /** Parses options with the adapter's own schema (as the core would) and creates it. */
  // biome-ignore lint/suspicious/noExplicitAny: any adapter definition.
  create(definition: AdapterDefinition<any>, rawOptions: Record<string, unknown>) {
    const options = definition.options.parse(rawOptions);
    return definition.create(options, this.context);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
