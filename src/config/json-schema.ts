/** The JSON Schema editors use to autocomplete and check config files, built from the same zod schemas. */
import path from "node:path";
import { z } from "zod";
import type { AdapterDefinition } from "../adapter-contract.js";
import { loadAllAdapters } from "../adapters.js";
import { packageRoot } from "../package-root.js";
import { fullConfigSchema } from "./schema.js";

/** Every registered adapter type by default; tests pass their own definitions. */
export async function buildJsonSchema(definitions?: readonly AdapterDefinition[]): Promise<Record<string, unknown>> {
  definitions ??= await loadAllAdapters();
  // Input side: what a person writes (durations as "5s", defaults optional). Draft 7 is what
  // yaml-language-server and most editors understand best.
  return z.toJSONSchema(fullConfigSchema(definitions), {
    io: "input",
    target: "draft-7",
    unrepresentable: "any",
    override: keepUnitDefaults,
  }) as Record<string, unknown>;
}

/**
 * zod leaves out the default of a value with a unit (its default is the parsed number, and the
 * input side is number | string); a number of ms or bytes is valid input, so editors may show it.
 */
function keepUnitDefaults(context: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const def = context.zodSchema._zod.def;
  if (def.type !== "default" || "default" in context.jsonSchema) return;
  const value = (def as z.core.$ZodDefaultDef).defaultValue;
  if (typeof value === "number") context.jsonSchema.default = value;
}

/** The text written to config/plexus-bridge.schema.json: stable, so `schema --check` can compare bytes. */
export async function jsonSchemaText(definitions?: readonly AdapterDefinition[]): Promise<string> {
  return `${JSON.stringify(await buildJsonSchema(definitions), null, 2)}\n`;
}

export function committedSchemaPath(): string {
  return path.join(packageRoot(), "config", "plexus-bridge.schema.json");
}
