/**
 * Options of the MQTT adapter: one broker connection and the subscriptions read through it.
 * Light on purpose: the config schema loads this file for every config, so no mqtt.js here.
 */
import { z } from "zod";
import { duration } from "../../src/config/units.js";
import { TIMESTAMP_FORMATS } from "../../src/decoding/json-fields.js";
import { checkTemplate } from "./template.js";
import { validFilter } from "./topic.js";

export const FORMATS = ["json", "value", "influx", "sparkplug", "raw"] as const;
export type PayloadFormat = (typeof FORMATS)[number];

const filter = z.string().superRefine((text, ctx) => {
  const problem = validFilter(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const template = z.string().superRefine((text, ctx) => {
  const problem = checkTemplate(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const subscriptionSchema = z
  .strictObject({
    topic: filter
      .optional()
      .describe("MQTT topic filter (+ and # wildcards). Required, except for format: sparkplug, where it defaults to spBv1.0/#"),
    qos: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(1)
      .describe("Subscription QoS. 1 and 2 are acknowledged only once the queue took the points; 0 follows the queue's when_full"),
    format: z.enum(FORMATS).default("json").describe("How payloads are read: json | value | influx | sparkplug | raw"),
    metric: template
      .optional()
      .describe(
        'Metric name template: {N} the N-th topic level (1-based), {path} the JSON leaf path, {topic} the whole topic with "/" → ".". ' +
          "Default: {topic}.{path} for json, {topic} for value and raw, <measurement>.<field> for influx (where {measurement} and {field} may be used)",
      ),
    tags: z
      .record(z.string(), template)
      .refine((tags) => Object.keys(tags).length <= 12, "at most 12 tags (a point carries at most 16)")
      .optional()
      .describe('Tags on every point of this subscription, templates like the metric\'s, e.g. { site: "{1}" }'),
    timestamp: z
      .strictObject({
        field: z.string().min(1).describe("JSON leaf path of the timestamp, e.g. Time or meta.ts"),
        format: z.enum(TIMESTAMP_FORMATS).default("iso").describe("iso | unix_s | unix_ms | unix_us | unix_ns"),
      })
      .optional()
      .describe("json only: take the points' time from a field of the payload (default: arrival time)"),
    fields: z
      .array(z.string().min(1))
      .optional()
      .describe('json only: leaf paths to keep, globs with * (one level) and ** (any depth), e.g. ["*.Temperature"]. Default: every leaf'),
    numeric_strings: z.boolean().default(false).describe('json: numbers sent as strings ("21.5") become metrics, not events'),
    booleans: z.enum(["metric", "event"]).default("metric").describe("json and value: true/false become metrics 0/1, or events"),
    precision: z.enum(["ns", "us", "ms", "s"]).default("ns").describe("influx: unit of the line timestamps (InfluxDB's default is ns)"),
    encoding: z.enum(["base64", "hex"]).default("base64").describe("raw: how the payload bytes are written into the event"),
  })
  .superRefine((sub, ctx) => {
    if (sub.topic === undefined && sub.format !== "sparkplug")
      ctx.addIssue({ code: "custom", path: ["topic"], message: `format: ${sub.format} needs a topic filter` });
    const jsonOnly = { timestamp: sub.timestamp, fields: sub.fields } as const;
    for (const [key, value] of Object.entries(jsonOnly)) {
      if (value !== undefined && sub.format !== "json")
        ctx.addIssue({ code: "custom", path: [key], message: `${key} applies to format: json only` });
    }
    if (sub.format === "sparkplug" && sub.metric !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["metric"],
        message: "Sparkplug metric names come from the BIRTH certificates; leave metric out",
      });
  })
  .transform((sub) => ({ ...sub, topic: sub.topic ?? "spBv1.0/#" }));
export type SubscriptionOptions = z.output<typeof subscriptionSchema>;

const tlsSchema = z
  .strictObject({
    ca: z.string().optional().describe("CA certificate file (PEM) the broker's certificate must chain to; relative to the config file"),
    cert: z.string().optional().describe("Client certificate file (PEM), for brokers that authenticate clients by certificate"),
    key: z.string().optional().describe("The client certificate's private key file (PEM)"),
    reject_unauthorized: z
      .boolean()
      .default(true)
      .describe("Refuse a broker whose certificate does not verify. false is for commissioning only"),
    servername: z.string().optional().describe("Name to check the broker's certificate against, when it differs from the url's host"),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), "give cert and key together");

export const sparkplugSchema = z.strictObject({
  rebirth: z
    .boolean()
    .default(false)
    .describe(
      "After a seq gap or DATA for an unknown alias, publish NCMD Node Control/Rebirth (at most once per node per rebirth_interval), " +
        "and hold DATA with unknown aliases back until the BIRTH arrives",
    ),
  rebirth_interval: duration().default(30_000).describe("Least time between two rebirth requests to one node"),
  host_id: z
    .string()
    .regex(/^[^/+#]+$/, "a host id has no /, + or #")
    .optional()
    .describe("Act as Sparkplug primary host with this id: publish STATE birth (retained) and set the STATE death as the will"),
});

export const mqttOptions = z
  .strictObject({
    url: z
      .string()
      .regex(/^(mqtt|mqtts|ws|wss):\/\/[^/]+/, "expected mqtt://host:1883, mqtts://host:8883, ws://host/mqtt or wss://host/mqtt")
      .describe("Broker: mqtt://host[:1883], mqtts://host[:8883], ws://host:port/path or wss://host:port/path"),
    client_id: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe("MQTT client id. Default: plexus-bridge-<install id>-<adapter id>. Two clients with one id knock each other off"),
    username: z.string().optional().describe("User name for the broker"),
    password: z.string().optional().describe("Password, best as !file mqtt_password; never logged"),
    tls: tlsSchema.optional().describe("TLS files for mqtts:// and wss://"),
    protocol_version: z
      .union([z.literal(4), z.literal(5)])
      .default(4)
      .describe("4 = MQTT 3.1.1 (every broker), 5 = MQTT 5 (reason codes, session expiry)"),
    clean: z
      .boolean()
      .default(true)
      .describe("true: a fresh session at each connect. false: the broker keeps subscriptions and queued QoS 1/2 messages while away"),
    session_expiry: duration()
      .default(86_400_000)
      .describe("MQTT 5 with clean: false: how long the broker keeps the session after a disconnect"),
    keepalive: duration().default(30_000).describe("MQTT keepalive; the broker drops the client after 1.5 × this without a packet"),
    connect_timeout: duration().default(10_000).describe("How long to wait for the broker's CONNACK"),
    reconnect_min: duration().default(1000).describe("First delay before reconnecting after a loss (doubles, with jitter)"),
    reconnect_max: duration()
      .default(60_000)
      .describe("Longest delay between reconnects; refused credentials and certificates wait this long at once"),
    subscriptions: z.array(subscriptionSchema).min(1).describe("What to read: topic filters and how their payloads map to points"),
    sparkplug: sparkplugSchema.default({ rebirth: false, rebirth_interval: 30_000 }).describe("Sparkplug B host behaviour"),
    allow_publish: z
      .array(filter)
      .default([])
      .describe('Topics (MQTT filters) the mqtt_publish dashboard command may publish to, e.g. ["plant/+/cmd/#"]. Default: none'),
    malformed_log_interval: duration()
      .default(60_000)
      .describe("At most one log line per subscription per this interval about payloads that do not parse"),
  })
  .superRefine((options, ctx) => {
    const secure = /^(mqtts|wss):/.test(options.url);
    if (options.tls && !secure) ctx.addIssue({ code: "custom", path: ["tls"], message: "tls needs an mqtts:// or wss:// url" });
    if (options.password !== undefined && options.username === undefined)
      ctx.addIssue({ code: "custom", path: ["password"], message: "a password needs a username" });
    if (options.reconnect_max < options.reconnect_min)
      ctx.addIssue({ code: "custom", path: ["reconnect_max"], message: "reconnect_max is below reconnect_min" });
  });
export type MqttOptions = z.output<typeof mqttOptions>;
