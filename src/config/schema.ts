/**
 * The config schema: the core's sections, the keys the core adds to every adapter, and each
 * adapter type's `options`. Validation and the JSON Schema are built from these same objects.
 */
import { z } from "zod";
import type { AdapterDefinition } from "../adapter-contract.js";
import { queueSection } from "../pipeline/queue-options.js";
import { reportRulesSchema } from "../pipeline/report-rules.js";
import { statusSection, telemetrySection } from "../status/options.js";
import { plexusSection, sourceId } from "../uplink/options.js";
import { duration } from "./units.js";

/** Adapter ids become metric prefixes and log scopes, so they are plain snake_case words. */
export const ADAPTER_ID_PATTERN = /^[a-z][a-z0-9_]*$/;

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");
const tagText = (what: string) =>
  z
    .union([z.string(), z.number(), z.boolean()])
    .transform(String)
    .refine((text) => byteLength(text) <= 256, `a tag ${what} is at most 256 bytes`);

export const tagsSchema = () =>
  z
    .record(z.string().min(1, "a tag key is not empty"), tagText("value"))
    .refine((tags) => Object.keys(tags).length <= 16, "at most 16 tags (the gateway's limit)")
    .refine((tags) => Object.keys(tags).every((key) => byteLength(key) <= 256), "a tag key is at most 256 bytes")
    .describe("Static tags added to every point of this adapter (flat string → string, at most 16).");

/** Keys the core adds to and owns in every adapter; adapter options must not define them. */
export const adapterCoreShape = {
  type: z.string().describe("The adapter type (the folder name under adapters/)."),
  source_id: sourceId()
    .optional()
    .describe("Publish this adapter's points as their own Plexus source (own connection, own queue). Default: plexus.source_id."),
  prefix: z
    .string()
    .max(128)
    .optional()
    .describe('Prefix added to every metric name. Default: "<id>." (the adapter id and a dot); "" for none.'),
  tags: tagsSchema().optional(),
  stream: z
    .enum(["always", "on_demand"])
    .default("always")
    .describe("always: forward every point; on_demand: only while the dashboard streams or records this source."),
  enabled: z.boolean().default(true).describe("false keeps the adapter in the file but does not start it."),
  report: reportRulesSchema.optional(),
};

export const CORE_ADAPTER_KEYS: readonly string[] = Object.keys(adapterCoreShape);

/** The core keys without `type`: validated by the loader after the type is known. */
export const adapterCoreSchema = z.strictObject(adapterCoreShape);

export const logSection = z
  .strictObject({
    level: z.enum(["debug", "info", "warn", "error"]).default("info").describe("Lowest level logged."),
    format: z.enum(["text", "json"]).default("text").describe("text: one readable line per event; json: one JSON object per line."),
  })
  .describe("Logging.");

const coreShape = {
  plexus: plexusSection,
  queue: queueSection.prefault({}),
  state_dir: z
    .string()
    .min(1)
    .optional()
    .describe("Where the spool and persisted state live (relative to the config's folder). Default: the daemon's state directory."),
  log: logSection.prefault({}),
  shutdown_timeout: duration()
    .default(10_000)
    .describe("On SIGTERM, how long the queue may keep draining to Plexus before the rest is spooled."),
  status: statusSection,
  telemetry: telemetrySection,
};

/** The top level, with adapters left raw: the loader validates each one against its own type. */
export const coreConfigSchema = z.strictObject({
  ...coreShape,
  adapters: z.record(z.string(), z.unknown()).default({}),
});

/** The option keys of an adapter's options schema, when it is an object schema (it should be). */
export function optionKeys(options: z.ZodType): string[] | undefined {
  return options instanceof z.ZodObject ? Object.keys(options.shape) : undefined;
}

/** One member of the adapters union: core keys with `type` fixed, plus the adapter's options. */
function adapterMember(definition: AdapterDefinition): z.ZodObject {
  const options = definition.options as z.ZodType;
  const optionShape = options instanceof z.ZodObject ? options.shape : {};
  const clash = Object.keys(optionShape).filter((key) => CORE_ADAPTER_KEYS.includes(key));
  if (clash.length > 0) throw new Error(`adapter "${definition.type}" defines core keys in its options: ${clash.join(", ")}`);
  return z
    .strictObject({ ...adapterCoreShape, ...optionShape, type: z.literal(definition.type).describe(definition.summary) })
    .describe(definition.summary);
}

/** The whole config, every adapter type included: for the JSON Schema. */
export function fullConfigSchema(definitions: readonly AdapterDefinition[]) {
  const members = definitions.map(adapterMember);
  const adapter =
    members.length === 0 ? z.strictObject(adapterCoreShape) : z.discriminatedUnion("type", members as [z.ZodObject, ...z.ZodObject[]]);
  return z
    .strictObject({
      ...coreShape,
      adapters: z
        .record(z.string().regex(ADAPTER_ID_PATTERN), adapter)
        .default({})
        .describe("The adapters, by id. The id is the log scope and the default metric prefix (<id>.)."),
    })
    .meta({ title: "plexus-bridge configuration", description: "One YAML file: the Plexus uplink, the queue and the adapters." });
}
