/**
 * The broker connection, through mqtt.js: connect options (credentials, TLS files relative to
 * the config), reconnect with backoff (mqtt.js' own fixed-period reconnect is off), refused
 * credentials and certificates reported with the broker's reason and retried slowly, and
 * QoS 1/2 messages acknowledged only when the adapter says so.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import type { IClientOptions, IConnackPacket, IDisconnectPacket, IPublishPacket, MqttClient } from "mqtt";
import { Backoff, sleep, untilAborted } from "../../src/backoff.js";
import type { Logger } from "../../src/log.js";
import type { MqttOptions } from "./options.js";

export interface LinkEvents {
  /** CONNACK accepted. `sessionPresent`: the broker kept our subscriptions and queued messages. */
  up(sessionPresent: boolean, first: boolean): void;
  down(reason: string): void;
  /**
   * A message. For QoS 1 and 2, call `ack` once its points are safely queued: the broker gets
   * PUBACK / PUBREC only then, and mqtt.js reads nothing else from the socket meanwhile.
   */
  message(topic: string, payload: Buffer, qos: number, ack: () => void): void;
}

/** MQTT 3.1.1 CONNACK return codes (MQTT 5 reason codes come from mqtt.js' table). */
const V3_CONNACK: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

/** Refusals that retrying soon cannot fix: wait reconnect_max, not the short backoff. */
const V3_FATAL = new Set([1, 2, 4, 5]);
const V5_FATAL = new Set([0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c]);
const GRACEFUL_END_MS = 1000;
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|DEPTH_ZERO|HOSTNAME/;

export class MqttLink {
  private client: MqttClient | undefined;
  private readonly backoff: Backoff;
  private stopped = false;
  private corked = false;
  private readonly abort = new AbortController();
  private lastError: { reason: string; fatal: boolean } | undefined;
  private connectedOnce = false;
  private reconnecting: Promise<void> | undefined;
  private reasonCodes: Record<number, string> = {};
  /** While an acknowledgement waits for the queue, reconnecting would only replay the same messages. */
  holdReconnect: (() => Promise<void>) | undefined;

  constructor(
    private readonly options: MqttOptions,
    private readonly clientId: string,
    private readonly configDir: string,
    private readonly log: Logger,
    private readonly events: LinkEvents,
  ) {
    this.backoff = new Backoff({ initialMs: options.reconnect_min, maxMs: options.reconnect_max });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get mqtt(): MqttClient | undefined {
    return this.client;
  }

  /** Connects; failures are reported through `down` and retried, never thrown (except bad TLS files). */
  async start(will?: IClientOptions["will"]): Promise<void> {
    const connectOptions = await this.connectOptions(will);
    const mqtt = await import("mqtt");
    this.reasonCodes = mqtt.ReasonCodes as Record<number, string>;
    if (this.stopped) return;
    const client = mqtt.connect(this.options.url, connectOptions);
    this.client = client;
    // mqtt.js honours customHandleAcks only under MQTT 5, yet holding PUBACK/PUBREC back works the
    // same way in 3.1.1: set it after construction, where the constructor cannot replace it.
    client.options.customHandleAcks = (topic, payload, packet, done) => {
      this.events.message(topic, payload, packet.qos, () => done(0));
    };
    client.on("message", (topic, payload, packet: IPublishPacket) => {
      if (packet.qos === 0) this.events.message(topic, payload, 0, noop);
    });
    client.on("packetreceive", () => this.coalesceWrites(client));
    client.on("connect", (packet: IConnackPacket) => this.onConnect(packet));
    client.on("error", (error) => this.onError(error));
    client.on("disconnect", (packet: IDisconnectPacket) => this.onBrokerDisconnect(packet));
    client.on("close", () => this.onClose());
    client.connect();
  }

  /**
   * mqtt.js writes each PUBACK on its own (one syscall per message). Corking the socket while one
   * read's packets are handled sends their acknowledgements together, at the end of that turn.
   */
  private coalesceWrites(client: MqttClient): void {
    const stream = client.stream as { cork?: () => void; uncork?: () => void } | undefined;
    if (this.corked || !stream?.cork || !stream.uncork) return;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork?.();
    });
  }

  private async connectOptions(will: IClientOptions["will"]): Promise<IClientOptions> {
    const o = this.options;
    const options: IClientOptions = {
      clientId: this.clientId,
      protocolVersion: o.protocol_version,
      clean: o.clean,
      keepalive: Math.max(1, Math.round(o.keepalive / 1000)),
      connectTimeout: o.connect_timeout,
      reconnectPeriod: 0,
      resubscribe: false,
      manualConnect: true,
      // mqtt.js' own debug tracing costs a call with arguments per packet even when off.
      log: noop,
      username: o.username,
      password: o.password,
      will,
    };
    if (o.protocol_version === 5 && !o.clean) options.properties = { sessionExpiryInterval: Math.round(o.session_expiry / 1000) };
    if (o.tls) {
      const read = (file: string | undefined) =>
        file === undefined ? undefined : readFile(isAbsolute(file) ? file : resolve(this.configDir, file));
      const [ca, cert, key] = await Promise.all([read(o.tls.ca), read(o.tls.cert), read(o.tls.key)]);
      Object.assign(options, { ca, cert, key, rejectUnauthorized: o.tls.reject_unauthorized, servername: o.tls.servername });
    }
    return options;
  }

  private onConnect(packet: IConnackPacket): void {
    this.lastError = undefined;
    this.backoff.reset();
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    this.events.up(packet.sessionPresent, first);
  }

  private onError(error: Error & { code?: string | number }): void {
    const code = error.code;
    if (typeof code === "number") {
      // A CONNACK refusal (mqtt.js words 3.1.1 return codes with MQTT 5 names, so name them here).
      const v5 = this.options.protocol_version === 5;
      const name = v5 ? (this.reasonCodes[code] ?? error.message) : (V3_CONNACK[code] ?? error.message);
      const fatal = v5 ? V5_FATAL.has(code) : V3_FATAL.has(code);
      this.lastError = {
        reason: `broker refused the connection: ${name} (${v5 ? `reason code 0x${code.toString(16)}` : `return code ${code}`})`,
        fatal,
      };
    } else if (typeof code === "string" && TLS_CODES.test(code)) {
      this.lastError = { reason: `TLS: ${error.message} (${code})`, fatal: true };
    } else {
      this.lastError = { reason: error.message, fatal: false };
    }
  }

  private onBrokerDisconnect(packet: IDisconnectPacket): void {
    const code = packet.reasonCode ?? 0;
    const name = this.reasonCodes[code] ?? `reason code ${code}`;
    // 0x8E: another client connected with our client id.
    const hint = code === 0x8e ? ": another client uses the same client_id" : "";
    this.lastError = { reason: `broker disconnected us: ${name} (reason code 0x${code.toString(16)})${hint}`, fatal: false };
  }

  private onClose(): void {
    if (this.stopped) return;
    const failure = this.lastError ?? { reason: "connection closed", fatal: false };
    this.lastError = undefined;
    this.events.down(failure.reason);
    if (this.reconnecting) return;
    const delay = failure.fatal ? this.options.reconnect_max : this.backoff.next();
    this.log.warn("broker connection lost, reconnecting", { reason: failure.reason, retry_in_ms: delay });
    this.reconnecting = this.reconnectAfter(delay);
  }

  private async reconnectAfter(delay: number): Promise<void> {
    await sleep(delay, this.abort.signal);
    if (this.holdReconnect) await untilAborted(this.holdReconnect(), this.abort.signal);
    this.reconnecting = undefined;
    if (this.stopped || !this.client) return;
    this.client.reconnect();
  }

  async publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain: boolean }): Promise<void> {
    if (!this.client?.connected) throw new Error("not connected to the broker");
    await this.client.publishAsync(topic, payload, options);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    const client = this.client;
    if (!client) return;
    // A DISCONNECT first (mqtt.js' forced end sends none, and the broker would publish our will);
    // forced if the broker does not answer in time. Held acknowledgements stay unsent: the broker
    // delivers those messages again to the next session.
    const timer = new AbortController();
    const ended = new Promise<void>((resolveEnd) => client.end(false, {}, () => resolveEnd()));
    const graceful = await Promise.race([ended.then(() => true), sleep(GRACEFUL_END_MS, timer.signal).then(() => false)]);
    timer.abort(); // no timer left to hold the process at shutdown
    if (!graceful) await new Promise<void>((resolveEnd) => client.end(true, {}, () => resolveEnd()));
  }
}

function noop(): void {}
