/**
 * The MQTT adapter proper (index.ts imports it lazily): routes each message to the first
 * subscription whose filter matches, maps it to points, and acknowledges QoS 1/2 messages only
 * once the queue took their points, waiting for `drained()` while it is over its high-water mark.
 */
import { hostname } from "node:os";
import type { Adapter, AdapterContext, CommandResult, SensorInfo } from "../../src/adapter-contract.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { MqttLink } from "./link.js";
import type { MqttOptions } from "./options.js";
import { publishRequest } from "./publish-command.js";
import { MessageRouter } from "./router.js";
import { encodeSparkplug } from "./sparkplug/codec.js";
import { rebirthPayload } from "./sparkplug/host.js";
import { TopicFilter } from "./topic.js";

export class MqttAdapter implements Adapter {
  private readonly router: MessageRouter;
  private readonly link: MqttLink;
  private readonly stateTopic: string | undefined;
  private readonly stateTimestamp = Date.now();
  private readonly allowPublish: TopicFilter[];
  /** Set while an acknowledgement waits for the queue to drain. */
  private draining: Promise<void> | undefined;
  private subscribed = 0;
  private stopping = false;
  /** Filters the broker refused at the last subscribe: shown in every status line until the next one. */
  private refused: string[] = [];

  constructor(
    private readonly options: MqttOptions,
    private readonly ctx: AdapterContext,
  ) {
    this.router = new MessageRouter(options, ctx);
    if (options.sparkplug.host_id) this.stateTopic = `spBv1.0/STATE/${options.sparkplug.host_id}`;
    this.allowPublish = options.allow_publish.map((filter) => new TopicFilter(filter));
    const clientId = options.client_id ?? `plexus-bridge-${ctx.installId ?? hostname()}-${ctx.id}`;
    this.link = new MqttLink(options, clientId, ctx.configDir, ctx.log, {
      up: (sessionPresent, first) => this.onUp(sessionPresent, first),
      down: (reason) => ctx.status("down", reason),
      message: (topic, payload, qos, ack) => this.onMessage(topic, payload, qos, ack),
    });
    this.link.holdReconnect = () => this.draining ?? Promise.resolve();
  }

  async start(): Promise<void> {
    this.ctx.status("connecting");
    const will = this.stateTopic ? { topic: this.stateTopic, payload: this.statePayload(false), qos: 1 as const, retain: true } : undefined;
    await this.link.start(will);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.stateTopic && this.link.connected) {
      // A clean stop sends no will: say offline ourselves, as a primary host must.
      await this.link.publish(this.stateTopic, this.statePayload(false), { qos: 1, retain: true }).catch(() => undefined);
    }
    await this.link.stop();
  }

  private onUp(sessionPresent: boolean, first: boolean): void {
    // A kept session still has our subscriptions; the first connect of this run subscribes anyway,
    // since the config (and so the filters) may have changed since the session was made.
    if (first || !sessionPresent) void this.subscribe();
    else this.reportUp();
    if (this.stateTopic) void this.publishState();
  }

  private async subscribe(): Promise<void> {
    const client = this.link.mqtt;
    if (!client) return;
    const v5 = this.options.protocol_version === 5;
    const requests = this.router.routes.map((route) => ({
      topic: route.filter.subscribed,
      // MQTT 5: no retained messages again for a subscription the session already had.
      options: { qos: route.sub.qos, ...(v5 ? { rh: 1 as const } : {}) },
    }));
    // One SUBACK per filter: mqtt.js fails a whole SUBSCRIBE when one of its filters is refused.
    const results = await Promise.allSettled(requests.map((r) => client.subscribeAsync(r.topic, r.options)));
    const refused: string[] = [];
    for (const [i, result] of results.entries()) {
      if (result.status === "fulfilled") continue;
      // A SUBACK with a failure code comes as mqtt.js' ErrorWithSubackPacket (packet.granted); anything else is the link.
      const granted = (result.reason as { packet?: { granted?: unknown } }).packet?.granted;
      if (!Array.isArray(granted)) {
        // Connection lost mid-subscribe: the reconnect subscribes again.
        this.ctx.log.warn("subscribe failed", { topic: requests[i].topic, error: String(result.reason) });
        return;
      }
      refused.push(requests[i].topic);
      this.ctx.count("subscriptions_refused");
      this.ctx.log.error("the broker refused a subscription (check the broker's ACL for this user)", {
        topic: requests[i].topic,
        reason: (result.reason as Error).message.replace(/^Subscribe error: /, ""),
        code: granted[0],
      });
    }
    this.subscribed = requests.length - refused.length;
    this.refused = refused;
    this.reportUp();
  }

  private reportUp(): void {
    const parts = [`connected to ${hostOf(this.options.url)}, ${this.subscribed} subscription(s)`];
    if (this.refused.length > 0) parts.push(`refused: ${this.refused.join(", ")}`);
    const offline = this.router.host?.offline() ?? [];
    if (offline.length > 0) parts.push(`Sparkplug offline: ${offline.slice(0, 5).join(", ")}${offline.length > 5 ? "…" : ""}`);
    this.ctx.status("up", parts.join("; "));
  }

  private onMessage(topic: string, payload: Buffer, qos: number, ack: () => void): void {
    const points = this.pointsOf(topic, payload);
    const accepted = points.length === 0 || this.ctx.emit(points);
    if (qos === 0) return; // QoS 0 cannot wait: the queue's when_full decides.
    if (accepted) {
      ack();
      return;
    }
    // Over the high-water mark: this message's points are queued, but its acknowledgement (and so
    // the broker's next message, and everything mqtt.js reads after it) waits for the queue.
    this.ctx.count("acks_held_for_backpressure");
    const wait = this.ctx.drained().then(() => {
      if (this.draining === wait) this.draining = undefined;
      ack();
    });
    this.draining = wait;
  }

  private pointsOf(topic: string, payload: Buffer): PointInput[] {
    if (topic === this.stateTopic) {
      this.onOwnState(payload);
      return [];
    }
    const routed = this.router.route(topic, payload);
    if (routed.rebirth) this.requestRebirth(routed.rebirth);
    if (routed.sparkplugStateChanged) this.reportUp();
    return routed.points;
  }

  private requestRebirth(topic: string): void {
    const request = Buffer.from(encodeSparkplug(rebirthPayload(Date.now())));
    this.link.publish(topic, request, { qos: 0, retain: false }).catch((error) => {
      this.ctx.log.warn("rebirth request not sent", { topic, error: (error as Error).message });
    });
  }

  private statePayload(online: boolean): string {
    return JSON.stringify({ online, timestamp: this.stateTimestamp });
  }

  private async publishState(): Promise<void> {
    try {
      await this.link.publish(this.stateTopic as string, this.statePayload(true), { qos: 1, retain: true });
    } catch (error) {
      this.ctx.log.warn("Sparkplug STATE birth not published", { error: (error as Error).message });
    }
  }

  /** Our own STATE saying offline while we are connected (an old will, fired late): say online again. */
  private onOwnState(payload: Buffer): void {
    try {
      const state = JSON.parse(payload.toString("utf8")) as { online?: unknown };
      // Not while stopping: that offline is our own goodbye.
      if (state.online === false && this.link.connected && !this.stopping) void this.publishState();
    } catch {
      this.ctx.count("sparkplug_bad_state_messages");
    }
  }

  async command(name: string, params: Record<string, unknown>): Promise<CommandResult> {
    if (name !== "mqtt_publish") throw new Error(`unknown command ${name}`);
    const request = publishRequest(params, this.allowPublish);
    await this.link.publish(request.topic, request.payload, { qos: request.qos, retain: request.retain });
    return { published: true, topic: request.topic, bytes: Buffer.byteLength(request.payload), qos: request.qos, retain: request.retain };
  }

  describe(): SensorInfo {
    const formats = [...new Set(this.options.subscriptions.map((s) => s.format))].join(", ");
    return { description: `MQTT ${hostOf(this.options.url)}, ${this.options.subscriptions.length} subscription(s) (${formats})` };
  }
}

/** scheme://host:port without credentials or path, for status lines. */
function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
