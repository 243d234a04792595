/**
 * One subscription on a session and its monitored items, created in groups of one CreateMonitored
 * Items request (same sampling interval and deadband, at most GROUP_SIZE items). A watchdog
 * notices a subscription that stopped publishing (no data and no keep-alive for 3 × the keep-alive
 * period): the adapter then recreates it, or the whole connection.
 */
import {
  AttributeIds,
  ClientMonitoredItem,
  type ClientMonitoredItemBase,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  constructEventFilter,
  DataChangeFilter,
  DataChangeTrigger,
  type DataValue,
  DeadbandType,
  TimestampsToReturn,
  type Variant,
} from "node-opcua-client";
import { EVENT_FIELDS } from "./decode.js";
import type { PlannedNode } from "./resolve.js";
import { withTimeout } from "./transport.js";

export interface SubscriptionSettings {
  publishingInterval: number;
  samplingInterval: number;
  queueSize: number;
  keepaliveCount: number;
  requestTimeout: number;
}

/** An event notifier to watch (i=2253, the Server object, by default). */
export interface PlannedEventSource {
  label: string;
  nodeId: string;
  name: string;
}

export interface SubscriptionEvents {
  value(node: PlannedNode, dataValue: DataValue): void;
  event(source: PlannedEventSource, fields: Variant[]): void;
  refusedSource(source: PlannedEventSource, status: string): void;
  refused(node: PlannedNode, status: string): void;
  /** The subscription stopped publishing, or the server ended it. */
  stalled(reason: string): void;
}

const GROUP_SIZE = 1000;
const MAX_NOTIFICATIONS_PER_PUBLISH = 1000;

export class NodeSubscription {
  private subscription: ClientSubscription | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastPublishAt = performance.now();
  private closed = false;
  /** Whether the server ever answered a Publish of this subscription (data or keep-alive). */
  published = false;
  /** Items the server accepted. */
  monitored = 0;

  constructor(
    private readonly session: ClientSession,
    private readonly settings: SubscriptionSettings,
    private readonly events: SubscriptionEvents,
  ) {}

  /** Creates the subscription and its items; resolves with the number of items the server accepted. */
  async start(nodes: PlannedNode[], sources: PlannedEventSource[] = []): Promise<number> {
    const { publishingInterval, keepaliveCount, requestTimeout } = this.settings;
    const subscription = await withTimeout(
      this.session.createSubscription2({
        requestedPublishingInterval: publishingInterval,
        requestedMaxKeepAliveCount: keepaliveCount,
        requestedLifetimeCount: keepaliveCount * 6,
        // Bounded: one publish response is handled in one go on the event loop; 1000 values take a few ms.
        maxNotificationsPerPublish: MAX_NOTIFICATIONS_PER_PUBLISH,
        publishingEnabled: true,
        priority: 10,
      }),
      requestTimeout,
      "CreateSubscription timed out",
    );
    this.subscription = subscription;
    const seen = () => {
      this.lastPublishAt = performance.now();
      this.published = true;
    };
    subscription.on("keepalive", seen);
    subscription.on("raw_notification", seen);
    subscription.on("terminated", () => this.stall("the server ended the subscription"));
    subscription.on("status_changed", (status) => this.stall(`subscription status ${status?.name ?? status}`));
    subscription.on("internal_error", (error) => this.stall(`subscription error: ${error.message}`));
    for (const group of groupNodes(nodes, this.settings.samplingInterval)) this.monitored += await this.monitor(subscription, group);
    for (const source of sources) this.monitored += await this.watchEvents(subscription, source);
    this.lastPublishAt = performance.now();
    this.startWatchdog(subscription.publishingInterval || publishingInterval, subscription.maxKeepAliveCount || keepaliveCount);
    return this.monitored;
  }

  private async monitor(subscription: ClientSubscription, nodes: PlannedNode[]): Promise<number> {
    const first = nodes[0];
    const group = ClientMonitoredItemGroup.create(
      subscription,
      nodes.map((node) => ({ nodeId: node.nodeId, attributeId: AttributeIds.Value })),
      {
        samplingInterval: first.samplingInterval ?? this.settings.samplingInterval,
        queueSize: this.settings.queueSize,
        discardOldest: true,
        filter: first.deadband
          ? new DataChangeFilter({
              trigger: DataChangeTrigger.StatusValue,
              deadbandType: first.deadband.type === "absolute" ? DeadbandType.Absolute : DeadbandType.Percent,
              deadbandValue: first.deadband.value,
            })
          : null,
      },
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item: ClientMonitoredItemBase, dataValue: DataValue, index: number) =>
      this.events.value(nodes[index], dataValue),
    );
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        group.once("initialized", () => resolve());
        group.once("terminated", (error) => reject(error ?? new Error("monitored items refused")));
      }),
      this.settings.requestTimeout,
      "CreateMonitoredItems timed out",
    );
    let accepted = 0;
    group.monitoredItems.forEach((item, i) => {
      if (item.statusCode.isGood()) accepted++;
      else this.events.refused(nodes[i], item.statusCode.name);
    });
    return accepted;
  }

  private async watchEvents(subscription: ClientSubscription, source: PlannedEventSource): Promise<number> {
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId: source.nodeId, attributeId: AttributeIds.EventNotifier },
      { samplingInterval: 0, queueSize: 1000, discardOldest: true, filter: constructEventFilter([...EVENT_FIELDS]) },
      TimestampsToReturn.Neither,
    );
    item.on("changed", (fields: Variant[]) => this.events.event(source, fields));
    const status = await withTimeout(
      new Promise<string>((resolve) => {
        item.once("initialized", () => resolve("Good"));
        item.once("err", (message: string) => resolve(/\bBad[A-Za-z]+/.exec(message)?.[0] ?? message));
      }),
      this.settings.requestTimeout,
      "CreateMonitoredItems (events) timed out",
    );
    if (status === "Good") return 1;
    this.events.refusedSource(source, status);
    return 0;
  }

  private startWatchdog(publishingInterval: number, keepaliveCount: number): void {
    // The server sends at least a keep-alive every keepaliveCount intervals; three missed in a row is a dead subscription.
    const limit = publishingInterval * keepaliveCount * 3 + this.settings.requestTimeout;
    this.watchdog = setInterval(
      () => {
        const silent = performance.now() - this.lastPublishAt;
        if (silent > limit) this.stall(`no publish response for ${Math.round(silent)} ms (limit ${Math.round(limit)} ms)`);
      },
      Math.max(200, Math.min(publishingInterval, 2000)),
    );
    this.watchdog.unref();
  }

  private stall(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    this.events.stalled(reason);
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription) await withTimeout(subscription.terminate(), 3000).catch(() => undefined);
  }
}

/** Nodes sharing one sampling interval and deadband, in chunks of GROUP_SIZE: one request each. */
export function groupNodes(nodes: PlannedNode[], defaultSampling: number): PlannedNode[][] {
  const byKey = new Map<string, PlannedNode[]>();
  for (const node of nodes) {
    const key = `${node.samplingInterval ?? defaultSampling}|${node.deadband ? `${node.deadband.type}:${node.deadband.value}` : ""}`;
    let list = byKey.get(key);
    if (!list) {
      list = [];
      byKey.set(key, list);
    }
    list.push(node);
  }
  const groups: PlannedNode[][] = [];
  for (const list of byKey.values()) for (let i = 0; i < list.length; i += GROUP_SIZE) groups.push(list.slice(i, i + GROUP_SIZE));
  return groups;
}
