/**
 * From adapters to queues: validate each point with the gateway's rules, add prefix, static
 * tags and session, stamp it, and route it to the queue of its source. Every point is counted.
 */
import type { StreamRequest } from "../bridge-control.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { QueuedPoint } from "./batch-source.js";
import type { PointInput } from "./point.js";
import type { SourceQueue } from "./queue.js";
import { ReportFilter, type ReportRule } from "./report-rules.js";
import { addReason, PointCounters } from "./stats.js";
import { StreamGate } from "./stream-gate.js";
import { type MetricName, prepareStaticTags, type Stamping, type StaticTags, validatePoint } from "./validate.js";

export interface AdapterRoute {
  id: string;
  sourceId: string;
  /** Prepended to every metric ("" for none). */
  prefix: string;
  tags?: Record<string, string>;
  stream: "always" | "on_demand";
  /** Report-by-exception rules for numeric points; none or empty: every point is sent. */
  report?: readonly ReportRule[];
}

/** Index 0 is reserved for points recovered from a spool written by an earlier run. */
export const SPOOL_ORIGIN = 0;

export class Pipeline {
  readonly adapterCounters: PointCounters[] = [new PointCounters()];
  private readonly routes: (AdapterRoute | undefined)[] = [undefined];
  private readonly staticTags: (StaticTags | undefined)[] = [undefined];
  private readonly metricNames: Map<string, MetricName>[] = [new Map()];
  private readonly reportFilters: (ReportFilter | undefined)[] = [undefined];
  private readonly byId = new Map<string, number>();
  private readonly queues = new Map<string, SourceQueue>();
  private readonly sourceCounters = new Map<string, PointCounters>();
  private readonly sessions = new Map<string, { id: string; name?: string }>();
  private readonly gates = new Map<string, StreamGate>();
  private readonly invalidLog = new Map<number, { logged: number; suppressed: number; windowStart: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Counters a new queue of `sourceId` must share with the pipeline. */
  countersFor(sourceId: string): { source: PointCounters; adapters: PointCounters[] } {
    let source = this.sourceCounters.get(sourceId);
    if (!source) {
      source = new PointCounters();
      this.sourceCounters.set(sourceId, source);
    }
    return { source, adapters: this.adapterCounters };
  }

  addQueue(queue: SourceQueue): void {
    this.queues.set(queue.sourceId, queue);
  }

  queue(sourceId: string): SourceQueue | undefined {
    return this.queues.get(sourceId);
  }

  sources(): string[] {
    return [...this.queues.keys()];
  }

  /** Registers (or, on reload, re-routes) an adapter; returns its origin index. */
  addAdapter(route: AdapterRoute): number {
    const tags = prepareStaticTags(route.tags);
    const existing = this.byId.get(route.id);
    if (existing !== undefined) {
      this.routes[existing] = route;
      this.staticTags[existing] = tags;
      this.metricNames[existing] = new Map();
      this.reportFilters[existing] = reportFilterOf(route);
      return existing;
    }
    this.routes.push(route);
    this.staticTags.push(tags);
    this.metricNames.push(new Map());
    this.reportFilters.push(reportFilterOf(route));
    this.adapterCounters.push(new PointCounters());
    const origin = this.routes.length - 1;
    this.byId.set(route.id, origin);
    return origin;
  }

  origin(adapterId: string): number | undefined {
    return this.byId.get(adapterId);
  }

  route(origin: number): AdapterRoute | undefined {
    return this.routes[origin];
  }

  /** Validates and queues one emit() call. False when a target queue is over its high-water mark. */
  ingest(origin: number, inputs: PointInput[]): boolean {
    const route = this.routes[origin];
    if (!route) throw new Error(`no adapter registered as origin ${origin}`);
    const session = this.sessions.get(route.sourceId);
    const stamping: Stamping = {
      prefix: route.prefix,
      tags: this.staticTags[origin],
      mono: this.clock.monotonicMs(),
      sessionId: session?.id,
      names: this.metricNames[origin],
    };
    const gate = route.stream === "on_demand" ? this.gateFor(route.sourceId) : undefined;
    const report = this.reportFilters[origin];

    // Sized for the common case (every point valid, all to the adapter's own source), trimmed after.
    const points = new Array<QueuedPoint>(inputs.length);
    const sizes = new Array<number>(inputs.length);
    let count = 0;
    let bytes = 0;
    let others: Map<string, { points: QueuedPoint[]; sizes: number[]; bytes: number }> | undefined;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (report && !report.admit(input, stamping.mono)) {
        this.adapterCounters[origin].suppressed++;
        continue;
      }
      const result = validatePoint(input, stamping);
      const target = input.source_id ?? route.sourceId;
      if (typeof result === "string") {
        this.countInvalid(origin, target, input, result);
        continue;
      }
      if (gate) {
        gate.offer(result.point, result.bytes, origin);
      } else if (target === route.sourceId) {
        points[count] = result.point;
        sizes[count++] = result.bytes;
        bytes += result.bytes;
      } else {
        others ??= new Map();
        let group = others.get(target);
        if (!group) {
          group = { points: [], sizes: [], bytes: 0 };
          others.set(target, group);
        }
        group.points.push(result.point);
        group.sizes.push(result.bytes);
        group.bytes += result.bytes;
      }
    }
    points.length = count;
    sizes.length = count;
    let ok = true;
    if (count > 0) ok = this.enqueue(route.sourceId, origin, points, sizes, bytes) && ok;
    if (others) {
      for (const [target, group] of others) ok = this.enqueue(target, origin, group.points, group.sizes, group.bytes) && ok;
    }
    return ok;
  }

  drained(origin: number): Promise<void> {
    const route = this.routes[origin];
    const queue = route && this.queues.get(route.sourceId);
    return queue ? queue.drained() : Promise.resolve();
  }

  setSession(sourceId: string, session: { id: string; name?: string } | undefined): void {
    if (session) this.sessions.set(sourceId, session);
    else this.sessions.delete(sourceId);
  }

  session(sourceId: string): { id: string; name?: string } | undefined {
    return this.sessions.get(sourceId);
  }

  setStream(sourceId: string, stream: StreamRequest | undefined): void {
    this.gateFor(sourceId).setStream(stream);
  }

  stats() {
    return {
      adapters: Object.fromEntries(
        this.routes.flatMap((route, origin) => {
          if (origin === SPOOL_ORIGIN) {
            const spooled = this.adapterCounters[0];
            return spooled.received > 0 ? [["(spool)", spooled.snapshot()]] : [];
          }
          return route ? [[route.id, this.adapterCounters[origin].snapshot()]] : [];
        }),
      ),
      sources: Object.fromEntries([...this.sourceCounters].map(([id, counters]) => [id, counters.snapshot()])),
    };
  }

  /** The latest valid point of every metric each adapter emitted (bounded like the name cache). */
  *latest(): Generator<{ adapter: string; sourceId: string; point: QueuedPoint }> {
    for (let origin = 1; origin < this.routes.length; origin++) {
      const route = this.routes[origin];
      if (!route) continue;
      for (const name of this.metricNames[origin].values()) {
        if (name.last) yield { adapter: route.id, sourceId: route.sourceId, point: name.last };
      }
    }
  }

  close(): void {
    for (const gate of this.gates.values()) gate.close();
  }

  private enqueue(sourceId: string, origin: number, points: QueuedPoint[], sizes: number[], bytes: number): boolean {
    const queue = this.queues.get(sourceId);
    if (!queue) {
      for (const point of points) this.countInvalid(origin, sourceId, point, `no Plexus connection for source_id "${sourceId}"`);
      return true;
    }
    return queue.enqueue(points, sizes, bytes, origin);
  }

  private gateFor(sourceId: string): StreamGate {
    let gate = this.gates.get(sourceId);
    if (!gate) {
      gate = new StreamGate(
        (points, sizes, bytes, origin) => this.enqueue(sourceId, origin, points, sizes, bytes),
        this.countersFor(sourceId),
      );
      this.gates.set(sourceId, gate);
    }
    return gate;
  }

  private countInvalid(origin: number, sourceId: string, input: PointInput | QueuedPoint, reason: string): void {
    for (const counters of [this.adapterCounters[origin], this.countersFor(sourceId).source]) {
      counters.received++;
      counters.invalid++;
      addReason(counters.invalidReasons, reason, 1);
    }
    this.logInvalid(origin, input, reason);
  }

  /** At most 5 lines a minute per adapter; the rest are summed into the next line. */
  private logInvalid(origin: number, input: PointInput | QueuedPoint, reason: string): void {
    const now = this.clock.monotonicMs();
    let state = this.invalidLog.get(origin);
    if (!state || now - state.windowStart > 60_000) {
      if (state && state.suppressed > 0) this.adapterLog(origin).warn(`${state.suppressed} more invalid points not shown`);
      state = { logged: 0, suppressed: 0, windowStart: now };
      this.invalidLog.set(origin, state);
    }
    if (state.logged >= 5) {
      state.suppressed++;
      return;
    }
    state.logged++;
    const metric = typeof input?.metric === "string" ? input.metric.slice(0, 80) : String(input?.metric);
    this.adapterLog(origin).warn(`invalid point ${JSON.stringify(metric)} dropped: ${reason}`);
  }

  private adapterLog(origin: number): Logger {
    return this.log.child(this.routes[origin]?.id ?? "pipeline");
  }
}

function reportFilterOf(route: AdapterRoute): ReportFilter | undefined {
  return route.report && route.report.length > 0 ? new ReportFilter(route.report) : undefined;
}
