/**
 * Options of the opcua adapter: one server endpoint, its security, and the nodes to read.
 * Light on purpose: the config schema loads this file, so no node-opcua here.
 */
import { z } from "zod";
import { duration } from "../../src/config/units.js";
import { parseNodeIdText } from "./node-id.js";

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

const nodeIdText = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseNodeIdText(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  })
  .describe('A NodeId: "nsu=<namespace URI>;s=Line1.Speed" (preferred: survives a renumbering), "ns=2;i=42" or "i=2258"');

const deadbandSchema = z
  .strictObject({
    type: z.enum(["absolute", "percent"]).describe("absolute: in the value's unit; percent: of the node's EURange (analog items only)"),
    value: z.number().positive().describe("The change below which the server reports nothing"),
  })
  .describe("Report-by-exception done by the server (an OPC-UA DataChangeFilter); subscribe mode only");

const tagsSchema = z
  .record(z.string(), z.string())
  .refine((tags) => Object.keys(tags).length <= 13, "at most 13 tags: unit, node_id and quality may be added")
  .optional();

export const nodeSchema = z
  .strictObject({
    node_id: nodeIdText.optional(),
    browse_path: z
      .string()
      .regex(/^\/[^/]/, 'expected a path from the root folder, like "/Objects/Line1/Motor/Current"')
      .optional()
      .describe('A path of browse names from the root folder, "/Objects/Line1/Motor/Current"; "2:Name" pins a namespace index'),
    name: z.string().regex(NAME, "letters, digits, _ . - / only").describe("The metric name (arrays add .0, .1…; enums add .label)"),
    unit: z.string().optional().describe("Unit tag on the points (UCUM, e.g. Cel, m/min)"),
    deadband: deadbandSchema.optional(),
    sampling_interval: duration().optional().describe("This node's sampling interval (default: the adapter's)"),
    tags: tagsSchema.describe("Extra tags on this node's points"),
  })
  .superRefine((node, ctx) => {
    if ((node.node_id === undefined) === (node.browse_path === undefined))
      ctx.addIssue({ code: "custom", path: ["node_id"], message: "give either node_id or browse_path" });
  });
export type NodeOptions = z.output<typeof nodeSchema>;

export const browseSchema = z.strictObject({
  root: nodeIdText.describe("Where discovery starts: every Variable below it (by hierarchical references) is read"),
  depth: z.number().int().min(1).max(10).default(3).describe("How many levels below the root to look"),
  include: z
    .array(z.string())
    .default(["*"])
    .describe('Globs on the dotted browse path below the root ("Motor.*", "*.Speed"); * matches anything, ? one character'),
  exclude: z.array(z.string()).default([]).describe('Globs of paths to leave out ("*.Diagnostics.*")'),
  prefix: z.string().regex(NAME).optional().describe("Prefix of the discovered metric names (default: none; names are the dotted paths)"),
});
export type BrowseOptions = z.output<typeof browseSchema>;

export const eventSourceSchema = z.strictObject({
  node: nodeIdText
    .default("i=2253")
    .describe("The event notifier to watch: i=2253 (the Server object) carries every event and alarm of the server"),
  name: z.string().regex(NAME, "letters, digits, _ . - / only").default("events").describe("The metric name of these events"),
});
export type EventSourceOptions = z.output<typeof eventSourceSchema>;

const authSchema = z
  .union([
    z.literal("anonymous"),
    z.strictObject({
      username: z.string().min(1).describe("User name"),
      password: z.string().describe("Password; use !file or an environment reference: it is never logged"),
    }),
    z.strictObject({
      certificate: z.string().min(1).describe("A user certificate, PEM (relative paths: to the config file)"),
      private_key: z.string().min(1).describe("Its private key, PEM, unencrypted"),
    }),
  ])
  .default("anonymous")
  .describe('"anonymous" (default), { username, password }, or an X.509 user certificate { certificate, private_key }');

export const opcuaOptions = z
  .strictObject({
    endpoint: z
      .string()
      .regex(/^opc\.tcp:\/\/[^/:]+(:\d+)?(\/.*)?$/, "expected opc.tcp://host:port[/path]")
      .describe("The server's endpoint URL, opc.tcp://host:4840"),
    security_mode: z
      .enum(["None", "Sign", "SignAndEncrypt"])
      .default("None")
      .describe("Message security; Sign and SignAndEncrypt use the client certificate under the state dir"),
    security_policy: z
      .enum(["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"])
      .default("Basic256Sha256")
      .describe("Security policy when security_mode is not None (Basic128Rsa15/Basic256 need RSA PKCS#1 v1.5, refused by Node 20)"),
    auth: authSchema,
    trust: z
      .enum(["tofu", "strict"])
      .default("tofu")
      .describe("tofu: trust and pin the server certificate at first contact; strict: only certificates in the PKI trusted/ folder"),
    pki_dir: z.string().optional().describe("The client PKI folder (default: <state_dir>/opcua/<adapter id>/pki)"),
    application_name: z.string().default("plexus-bridge").describe("Application name in the client certificate and the session"),
    publishing_interval: duration().default(500).describe("How often the server sends the changes of a subscription; runtime-tunable"),
    sampling_interval: duration()
      .default(100)
      .describe("How often the server samples each node (poll mode: how often it is read); runtime-tunable"),
    queue_size: z.number().int().min(1).max(10_000).default(10).describe("Changes the server keeps per node between two publishes"),
    keepalive_count: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe(
        "Publishing intervals without a change after which the server sends a keep-alive; 3× this without anything and the subscription is recreated",
      ),
    nodes: z.array(nodeSchema).default([]).describe("The nodes to read, by node_id or browse_path; runtime-tunable (the whole list)"),
    browse: z.array(browseSchema).default([]).describe("Discovery: every Variable under these roots is read as well"),
    events: z
      .array(eventSourceSchema)
      .default([])
      .describe("Events and alarms (Alarms & Conditions) to forward as Plexus events: message, severity, source, event type"),
    timestamps: z
      .enum(["source", "server", "bridge"])
      .default("source")
      .describe("Which timestamp the points carry; the bridge's clock when the server sends none"),
    mode: z
      .enum(["subscribe", "poll"])
      .default("subscribe")
      .describe("subscribe (monitored items), or poll: Read every sampling_interval, for servers without subscriptions"),
    array_limit: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(32)
      .describe("Arrays up to this length become one metric per index (name.0…); longer ones one JSON event"),
    request_timeout: duration().default(10_000).describe("How long one request (read, browse, create) may take"),
    reconnect_min: duration().default(1000).describe("First delay before reconnecting after a loss"),
    reconnect_max: duration().default(30_000).describe("Longest such delay (doubles, with jitter, up to this)"),
    allow_write: z
      .array(nodeIdText)
      .default([])
      .describe("Node ids the opcua_write command may write (exactly as written here); empty: writes refused"),
  })
  .superRefine((options, ctx) => {
    if (options.nodes.length === 0 && options.browse.length === 0 && options.events.length === 0)
      ctx.addIssue({ code: "custom", path: ["nodes"], message: "give nodes, browse roots or event sources" });
    if (options.events.length > 0 && options.mode === "poll")
      ctx.addIssue({ code: "custom", path: ["events"], message: "events need mode: subscribe" });
    const names = new Set<string>();
    options.nodes.forEach((node, i) => {
      if (names.has(node.name)) ctx.addIssue({ code: "custom", path: ["nodes", i, "name"], message: `duplicate name ${node.name}` });
      names.add(node.name);
      if (node.deadband && options.mode === "poll")
        ctx.addIssue({ code: "custom", path: ["nodes", i, "deadband"], message: "deadband needs mode: subscribe (the server applies it)" });
    });
  });
export type OpcuaOptions = z.output<typeof opcuaOptions>;
