/** The JSON Schema: built from the same zod schemas, adapters as a union on `type`, descriptions kept. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { defineAdapter } from "../../src/adapter-contract.js";
import { buildJsonSchema } from "../../src/config/json-schema.js";
import { testBusAdapter } from "./test-adapter.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests walk generated JSON of any shape.
type Json = Record<string, any>;

const otherAdapter = defineAdapter({
  type: "otherbus",
  summary: "Another test bus.",
  options: z.strictObject({ port: z.string().default("/dev/ttyS0").describe("Serial port.") }),
  create: () => ({ start: async () => {}, stop: async () => {} }),
});

describe("JSON Schema", () => {
  it("describes the core sections with their descriptions and input types", async () => {
    const schema = (await buildJsonSchema([testBusAdapter])) as Json;
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toBe("plexus-bridge configuration");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["plexus"]);
    expect(Object.keys(schema.properties)).toEqual([
      "plexus",
      "queue",
      "state_dir",
      "log",
      "shutdown_timeout",
      "status",
      "telemetry",
      "adapters",
    ]);
    expect(schema.properties.plexus.properties.api_key.description).toContain("never logged");
    expect(schema.properties.plexus.required).toEqual(["source_id"]);
    // A duration is written as "10s" or as milliseconds.
    const types = schema.properties.shutdown_timeout.anyOf.map((branch: Json) => branch.type);
    expect(types).toEqual(["number", "string"]);
    expect(schema.properties.shutdown_timeout.default).toBe(10_000);
  });

  it("makes adapters a union discriminated on type, with core keys and each type's options", async () => {
    const schema = (await buildJsonSchema([testBusAdapter, otherAdapter])) as Json;
    const adapters = schema.properties.adapters;
    expect(adapters.propertyNames.pattern).toBe("^[a-z][a-z0-9_]*$");
    const members: Json[] = adapters.additionalProperties.oneOf;
    expect(members.map((member) => member.properties.type.const)).toEqual(["testbus", "otherbus"]);
    const testbus = members[0];
    expect(testbus.additionalProperties).toBe(false);
    expect(testbus.required).toEqual(["type", "url"]);
    expect(Object.keys(testbus.properties)).toEqual(
      expect.arrayContaining(["type", "source_id", "prefix", "tags", "stream", "enabled", "url", "poll_interval", "devices"]),
    );
    expect(testbus.description).toBe("Test-only bus with devices and points.");
    // Descriptions survive deep inside the options.
    const point = testbus.properties.devices.items.properties.points.items;
    expect(point.properties.type).toMatchObject({ enum: ["u16", "s16", "f32"], description: "Register encoding." });
    expect(members[1].properties.port.description).toBe("Serial port.");
  });

  it("refuses an adapter whose options define a core key", async () => {
    const clashing = defineAdapter({
      type: "clash",
      summary: "Defines tags itself.",
      options: z.strictObject({ tags: z.string() }),
      create: () => ({ start: async () => {}, stop: async () => {} }),
    });
    await expect(buildJsonSchema([clashing])).rejects.toThrow('adapter "clash" defines core keys in its options: tags');
  });
});

describe("JSON Schema as an editor sees it (ajv)", () => {
  const root = path.resolve(import.meta.dirname, "../..");

  it("the generated schema accepts valid configs and rejects typos, unknown types and bad values", async () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(await buildJsonSchema([testBusAdapter, otherAdapter]));
    const good = parse(`
      plexus: { source_id: demo, api_key: "\${PLEXUS_API_KEY}" }
      shutdown_timeout: 5s
      adapters:
        plc1: { type: testbus, url: tcp://x, poll_interval: 250ms, devices: [{ unit: 1, points: [{ address: 3, metric: a }] }] }
        serial: { type: otherbus, tags: { line: "1" } }
    `);
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    const typo = parse("plexus: { source_id: demo }\nadapters: { plc1: { type: testbus, url: x, pol_interval: 1s } }");
    expect(validate(typo)).toBe(false);
    const unknownType = parse("plexus: { source_id: demo }\nadapters: { plc1: { type: nosuchbus } }");
    expect(validate(unknownType)).toBe(false);
    const badId = parse("plexus: { source_id: demo }\nadapters: { PLC-1: { type: otherbus } }");
    expect(validate(badId)).toBe(false);
    const badEnum = parse("plexus: { source_id: demo }\nqueue: { when_full: sometimes }");
    expect(validate(badEnum)).toBe(false);
  });

  it("the committed config/plexus-bridge.schema.json is a valid schema that accepts the shipped examples", () => {
    const schema = JSON.parse(readFileSync(path.join(root, "config", "plexus-bridge.schema.json"), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const examples = readdirSync(path.join(root, "config")).filter((name) => /\.ya?ml$/.test(name));
    expect(examples.length).toBeGreaterThan(0);
    for (const name of examples) {
      const config = parse(readFileSync(path.join(root, "config", name), "utf8"));
      expect(validate(config), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
