/**
 * The adapter's life with one server: connect (secure channel, session, NamespaceArray), resolve
 * the nodes for this server as it is now, subscribe (or poll), and when anything breaks throw the
 * connection away and do it all again with backoff. After a reconnect the log says
 * "subscriptions restored: N items". A subscription that stops publishing is recreated on the
 * same session; if that fails too, the connection is replaced.
 */
import type { DataValue } from "node-opcua-client";
import type { AdapterContext } from "../../src/adapter-contract.js";
import { Backoff, sleep } from "../../src/backoff.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { type DecodeOptions, decodeDataValue, decodeEvent } from "./decode.js";
import { resolveNodeIdText } from "./node-id.js";
import type { OpcuaOptions } from "./options.js";
import type { ClientPki } from "./pki.js";
import { pollNodes } from "./poll.js";
import { type NodePlan, type PlannedNode, planNodes, type Refusal, statusOf } from "./resolve.js";
import { NodeSubscription, type PlannedEventSource } from "./subscription.js";
import { type Connection, classify, openConnection, SetupError } from "./transport.js";
import { writeValue } from "./write.js";

type Wake = { kind: "stalled"; reason: string } | { kind: "reconfigure" };

export class OpcuaRunner {
  private connection: Connection | undefined;
  private plan: NodePlan | undefined;
  private readonly reported = new Set<string>();
  private pending: PointInput[] = [];
  private flushQueued = false;
  private sessions = 0;
  private down = false;
  private wake: ((wake: Wake) => void) | undefined;
  private readonly backoff: Backoff;
  /** Events sent in poll mode, by metric: a poll re-reads unchanged strings, which are sent on change only. */
  private readonly lastEvent = new Map<string, unknown>();
  /** Values emitted (for the benchmark). */
  values = 0;

  constructor(
    private options: OpcuaOptions,
    private readonly ctx: AdapterContext,
    private readonly pki: ClientPki,
  ) {
    this.backoff = new Backoff({ initialMs: options.reconnect_min, maxMs: options.reconnect_max });
  }

  get metricNames(): string[] {
    return this.plan?.nodes.map((n) => n.name) ?? [];
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let delay: number;
      try {
        await this.connectAndServe(signal);
        return;
      } catch (failure) {
        if (signal.aborted) return;
        const error = classify(failure);
        // Trust, credentials and missing endpoints are not fixed by retrying fast.
        delay = error instanceof SetupError ? this.options.reconnect_max : this.backoff.next();
        this.ctx.count(error instanceof SetupError ? "setup_failures" : "connection_losses");
        this.ctx.log.warn("connection down, reconnecting", { endpoint: this.options.endpoint, reason: error.message, retry_in_ms: delay });
        this.ctx.status("down", error.message);
        this.down = true;
      } finally {
        this.flush();
        const connection = this.connection;
        this.connection = undefined;
        await connection?.close();
      }
      await sleep(delay, signal);
    }
  }

  /** Applies new options: the items are recreated on the session in place. */
  reconfigure(options: OpcuaOptions): void {
    this.options = options;
    this.wake?.({ kind: "reconfigure" });
  }

  async write(nodeText: string, value: unknown): Promise<string> {
    if (!this.connection) throw new Error("not connected");
    return writeValue(this.connection, nodeText, value, this.options.request_timeout);
  }

  private async connectAndServe(signal: AbortSignal): Promise<void> {
    // During an outage the state stays "down" (with its reason) through the reconnect attempts.
    if (!this.down) this.ctx.status("connecting", this.options.endpoint);
    const connection = await openConnection(this.options, this.pki, this.ctx.configDir, this.ctx.log);
    this.connection = connection;
    this.sessions++;
    this.lastEvent.clear();
    this.ctx.log.info("session created", { endpoint: this.options.endpoint, namespaces: connection.namespaces.length });
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    let restoring = this.sessions > 1;
    let recreated = false;
    while (!signal.aborted) {
      const woken = new Promise<Wake>((resolve) => {
        this.wake = resolve;
      });
      const plan = await planNodes(connection.session, connection.namespaces, this.options);
      this.plan = plan;
      this.reportRefusals(plan.refused);
      if (this.options.mode === "poll") {
        this.ctx.status("up", `polling ${plan.nodes.length} node(s)${this.refusedDetail(plan)}`);
        this.down = false;
        this.backoff.reset();
        const stop = new AbortController();
        const ended = Promise.race([connection.lost, woken, aborted]).finally(() => stop.abort());
        const polling = pollNodes(
          connection.session,
          plan.nodes,
          () => this.options.sampling_interval,
          this.options.request_timeout,
          stop.signal,
          (batch) => this.emitPolled(batch),
        );
        // When the connection is lost first, the Read in flight fails after the race is decided.
        polling.catch(() => undefined);
        await Promise.race([polling, ended]);
        stop.abort();
        await polling;
        await ended;
        continue;
      }
      const subscription = new NodeSubscription(
        connection.session,
        {
          publishingInterval: this.options.publishing_interval,
          samplingInterval: this.options.sampling_interval,
          queueSize: this.options.queue_size,
          keepaliveCount: this.options.keepalive_count,
          requestTimeout: this.options.request_timeout,
        },
        {
          value: (node, dataValue) => this.onValue(node, dataValue),
          event: (source, fields) => this.queue([decodeEvent(fields, source.name)]),
          refusedSource: (source, status) => this.reportRefusals([{ label: source.label, status }]),
          refused: (node, status) => this.reportRefusals([{ label: node.label, status }]),
          stalled: (reason) => this.wake?.({ kind: "stalled", reason }),
        },
      );
      try {
        const items = await subscription.start(plan.nodes, this.eventSources(connection.namespaces, plan));
        this.ctx.log.info(restoring ? `subscriptions restored: ${items} items` : `subscribed: ${items} items`, {
          publishing_interval_ms: this.options.publishing_interval,
          refused: plan.refused.length + plan.nodes.length - items,
        });
        this.ctx.status("up", `${items} item(s)${this.refusedDetail(plan)}`);
        this.down = false;
        this.backoff.reset();
        const wake = await Promise.race([connection.lost, woken, aborted]);
        if (wake && wake.kind === "stalled") {
          // A subscription recreated after a stall that never published either: the session is the problem.
          if (recreated && !subscription.published)
            throw new Error(`the recreated subscription stayed silent (${wake.reason}): replacing the session`);
          this.ctx.count("subscription_stalls");
          this.ctx.log.warn("subscription stopped publishing: recreating it", { reason: wake.reason });
          recreated = true;
        } else recreated = false;
        restoring = true;
      } finally {
        await subscription.stop();
      }
    }
  }

  /** The configured event notifiers on this server; an unknown namespace refuses the source. */
  private eventSources(namespaces: string[], plan: NodePlan): PlannedEventSource[] {
    const sources: PlannedEventSource[] = [];
    for (const source of this.options.events) {
      try {
        sources.push({ label: `events ${source.node}`, nodeId: resolveNodeIdText(source.node, namespaces), name: source.name });
      } catch (error) {
        plan.refused.push({ label: `events ${source.node}`, status: statusOf(error) });
        this.reportRefusals(plan.refused.slice(-1));
      }
    }
    return sources;
  }

  private onValue(node: PlannedNode, dataValue: DataValue): void {
    this.queue(this.decode(node, dataValue));
  }

  private queue(points: PointInput[]): void {
    if (points.length === 0) return;
    for (const point of points) this.pending.push(point);
    // Values of one publish response arrive one by one: they go to the pipeline together.
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.values += batch.length;
    // A subscription cannot be paused per value: when the queue is full, its when_full policy applies.
    this.ctx.emit(batch);
  }

  private async emitPolled(batch: [PlannedNode, DataValue][]): Promise<void> {
    const points: PointInput[] = [];
    for (const [node, dataValue] of batch)
      for (const point of this.decode(node, dataValue)) {
        if (typeof point.value !== "number") {
          const text = JSON.stringify(point.value);
          if (this.lastEvent.get(point.metric) === text) continue;
          this.lastEvent.set(point.metric, text);
        }
        points.push(point);
      }
    if (points.length === 0) return;
    this.values += points.length;
    if (!this.ctx.emit(points)) await this.ctx.drained();
  }

  private decode(node: PlannedNode, dataValue: DataValue): PointInput[] {
    const options: DecodeOptions = { timestamps: this.options.timestamps, arrayLimit: this.options.array_limit };
    const decoded = decodeDataValue(dataValue, node, options);
    if (decoded.kind === "points") return decoded.points;
    this.ctx.count("bad_status");
    this.ctx.count(`bad_status.${node.name}`);
    const key = `${node.label}|${decoded.status}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.ctx.log.warn("bad status: no value", { node: node.label, name: node.name, status: decoded.status });
    }
    return [];
  }

  /** Each refused node once per status code, across reconnects: the others keep working. */
  private reportRefusals(refused: Refusal[]): void {
    for (const refusal of refused) {
      const key = `${refusal.label}|${refusal.status}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.ctx.count("refused_nodes");
      this.ctx.log.warn("node refused", { node: refusal.label, status: refusal.status });
    }
  }

  private refusedDetail(plan: NodePlan): string {
    return plan.refused.length > 0
      ? `, ${plan.refused.length} refused (${plan.refused[0].label}: ${plan.refused[0].status.split(" ")[0]})`
      : "";
  }
}
