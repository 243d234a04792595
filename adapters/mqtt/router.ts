/**
 * Message → points, without I/O: routes a message to the first subscription whose filter
 * matches, decodes it with that subscription's format, and counts and logs (rate-limited) what
 * does not parse. Sparkplug state lives here too, so the adapter only moves bytes and acks.
 */
import type { AdapterContext } from "../../src/adapter-contract.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { MalformedReporter } from "./malformed.js";
import { createMapper, MalformedPayload, type PayloadMapper, salvagedPoints } from "./mapping.js";
import type { MqttOptions, SubscriptionOptions } from "./options.js";
import { MalformedSparkplug, SparkplugHost } from "./sparkplug/host.js";
import { TopicFilter } from "./topic.js";

interface Route {
  filter: TopicFilter;
  sub: SubscriptionOptions;
  mapper?: PayloadMapper;
  malformed: MalformedReporter;
}

export interface Routed {
  points: PointInput[];
  /** An NCMD topic to publish a Sparkplug rebirth request on. */
  rebirth?: string;
  /** A Sparkplug node or device went online or offline. */
  sparkplugStateChanged?: boolean;
}

const ROUTE_CACHE_SIZE = 10_000;

type RouterContext = Pick<AdapterContext, "log" | "count" | "clock">;

export class MessageRouter {
  readonly routes: Route[];
  readonly host: SparkplugHost | undefined;

  constructor(options: Pick<MqttOptions, "subscriptions" | "sparkplug" | "malformed_log_interval">, ctx: RouterContext) {
    const now = () => ctx.clock.monotonicMs();
    const count = (name: string, n?: number) => ctx.count(name, n);
    this.routes = options.subscriptions.map((sub) => ({
      filter: new TopicFilter(sub.topic),
      sub,
      mapper: sub.format === "sparkplug" ? undefined : createMapper(sub, count),
      malformed: new MalformedReporter(sub.topic, ctx.log, options.malformed_log_interval, now, count),
    }));
    if (options.subscriptions.some((sub) => sub.format === "sparkplug")) {
      const sparkplug = { rebirth: options.sparkplug.rebirth, rebirthIntervalMs: options.sparkplug.rebirth_interval };
      this.host = new SparkplugHost(sparkplug, count, now);
    }
    this.count = count;
  }

  private readonly count: (name: string, n?: number) => void;

  /** Which route a topic goes to (undefined: none), remembered: devices publish on few topics, often. */
  private readonly routeOf = new Map<string, Route | undefined>();

  private routeFor(topic: string): Route | undefined {
    if (this.routeOf.has(topic)) return this.routeOf.get(topic);
    if (this.routeOf.size >= ROUTE_CACHE_SIZE) this.routeOf.clear();
    const route = this.routes.find((r) => r.filter.matches(topic));
    this.routeOf.set(topic, route);
    return route;
  }

  route(topic: string, payload: Uint8Array): Routed {
    const route = this.routeFor(topic);
    if (!route) {
      this.count("unmatched_messages");
      return { points: [] };
    }
    try {
      if (route.mapper) return { points: route.mapper(topic, payload) };
      const result = (this.host as SparkplugHost).handle(topic, payload);
      const sparkplugStateChanged = result.points.some((p) => p.metric.endsWith(".sparkplug_state"));
      return { points: result.points, rebirth: result.rebirth, sparkplugStateChanged };
    } catch (error) {
      // Anything a payload makes a decoder throw is that payload's fault: count it, never stop.
      const known = error instanceof MalformedPayload || error instanceof MalformedSparkplug;
      route.malformed.report(topic, payload, known ? (error as Error).message : `decoder failed: ${String(error)}`);
      return { points: error instanceof MalformedPayload ? salvagedPoints(error) : [] };
    }
  }
}
