// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references as YAML text.
/**
 * Malformed configs: each names the exact file:line:col and path of every mistake, all at once.
 * The adapter type `testbus` is registered by the test (nested device and point lists).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, it } from "vitest";
import { z } from "zod";
import { defineAdapter } from "../../src/adapter-contract.js";
import { registerAdapter } from "../../src/adapters.js";
import { loadConfig } from "../../src/config/load.js";
import { formatProblems } from "../../src/config/problems.js";
import { ConfigFolder, expectProblems, yaml } from "./config-fixture.js";
import { registerTestAdapter } from "./test-adapter.js";

registerTestAdapter();
const folder = new ConfigFolder();
afterAll(() => folder.remove());
const F = "config.yaml";

describe("YAML syntax", () => {
  it("reports an unclosed flow list at the line where the parser gives up", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: [wss://a, wss://b
        transport: http
    `);
    expectProblems(lines, [[`${F}:4:3`, "YAML syntax error"]]);
  });

  it("hints that a reference inside a flow mapping needs quotes", async () => {
    const lines = await folder.problems("plexus: { source_id: demo, url: ${URL} }\n", { env: { URL: "wss://x" } });
    expectProblems(lines, [
      [`${F}:1:34`, 'YAML syntax error: Unexpected flow-map-start at node end (inside { } or [ ], quote a reference: "${VAR}")'],
    ]);
  });

  it("reports tab indentation at the tab", async () => {
    const lines = await folder.problems("plexus:\n  source_id: demo\n\turl: wss://x\n");
    expectProblems(lines, [[`${F}:3:1`, "a tab is used for indentation; YAML indents with spaces only"]]);
  });

  it("reports a duplicate key at its second occurrence", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: wss://a
        url: wss://b
    `);
    expectProblems(lines, [[`${F}:4:3 plexus.url`, "duplicate key"]]);
  });

  it("reports an unknown tag and says which one is supported", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        api_key: !env PLEXUS_API_KEY
    `);
    expectProblems(lines, [[`${F}:3:12`, "unknown tag: !env (the only tag supported is !file)"]]);
  });

  it("rejects a list at the top level and an empty file", async () => {
    expectProblems(await folder.problems("- plexus\n- adapters\n"), [[`${F}:1:1`, "expected a mapping, received a list"]]);
    expectProblems(await folder.problems("# nothing yet\n"), [[`${F}:1:1`, "the config is empty"]]);
  });

  it("reports a missing config file without a position", async () => {
    const missing = path.join(folder.dir, "absent.yaml");
    const result = await loadConfig(missing, { env: {} });
    expectProblems(formatProblems(result.problems).split("\n"), [[missing, "the file does not exist"]]);
  });
});

describe("core sections", () => {
  it("refuses a plain-text uplink to a host that is not loopback (the key would travel in clear)", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: ws://10.0.0.9:8080
    `);
    expectProblems(lines, [
      [`${F}:3:8 plexus.url`, "ws://10.0.0.9:8080 is not encrypted; use wss:// / https:// or set plexus.allow_insecure: true"],
    ]);
  });

  it("reports the plain-text uplink together with problems elsewhere, not on a second run", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: ws://10.0.0.9:8080
      queue: { durability: spil }
    `);
    expectProblems(lines, [
      [`${F}:3:8 plexus.url`, "is not encrypted"],
      [`${F}:4:22 queue.durability`, 'expected one of "memory", "spill", "always" (did you mean "spill"?)'],
    ]);
  });

  it("suggests the key meant for an unknown top-level key", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adaptors: {}
    `);
    expectProblems(lines, [[`${F}:3:1 adaptors`, 'unknown key "adaptors" (did you mean "adapters"?)']]);
  });

  it("suggests the key meant for an unknown key in plexus", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        sourceid: demo
    `);
    expectProblems(lines, [
      [`${F}:1:1 plexus.source_id`, "required key is missing"],
      [`${F}:2:3 plexus.sourceid`, 'unknown key "sourceid" (did you mean "source_id"?)'],
    ]);
  });

  it("reports a wrong type with what was expected and what was found", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      queue:
        memory_max_points: lots
    `);
    expectProblems(lines, [[`${F}:4:22 queue.memory_max_points`, "expected number, received string"]]);
  });

  it("reports a bad duration", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      shutdown_timeout: 5 minutes
    `);
    expectProblems(lines, [[`${F}:3:19 shutdown_timeout`, 'expected a duration like 250ms, 2s, 5m or 6h, got "5 minutes"']]);
  });

  it("reports a bad size", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      queue: { durability: spill, spool_max_bytes: 1 GiBs }
    `);
    expectProblems(lines, [[`${F}:3:46 queue.spool_max_bytes`, 'expected a size like 64KiB, 512MiB or 1GiB, got "1 GiBs"']]);
  });

  it("lists the allowed values of an enum and suggests the closest", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      queue:
        when_full: drop_olds
      log:
        level: verbose
    `);
    expectProblems(lines, [
      [`${F}:4:14 queue.when_full`, 'expected one of "drop_oldest", "drop_newest", "block" (did you mean "drop_oldest"?)'],
      [`${F}:6:10 log.level`, 'expected one of "debug", "info", "warn", "error"'],
    ]);
  });

  it("checks the source_id slug rule, in a flow mapping too", async () => {
    const lines = await folder.problems("plexus: { source_id: Press Line 3 }\n");
    expectProblems(lines, [[`${F}:1:22 plexus.source_id`, "a source_id is lower-case letters, digits"]]);
  });

  it("reports a missing plexus section at the document", async () => {
    const lines = await folder.problems("log: { level: info }\n");
    expectProblems(lines, [[`${F}:1:1 plexus`, "required key is missing"]]);
  });

  it("reports every problem at once, in file order", async () => {
    const lines = await folder.problems(yaml`
      shutdown_timeout: soon
      plexus:
        source_id: Demo
        frame_max_points: 20000
      queue:
        high_water: 2
      extra: 1
    `);
    expectProblems(lines, [
      [`${F}:1:19 shutdown_timeout`, "expected a duration"],
      [`${F}:3:14 plexus.source_id`, "a source_id is lower-case"],
      [`${F}:4:21 plexus.frame_max_points`, "expected at most 10000, got 20000"],
      [`${F}:6:15 queue.high_water`, "expected at most 1, got 2"],
      [`${F}:7:1 extra`, 'unknown key "extra"'],
    ]);
  });
});

describe("environment and secrets", () => {
  it("reports an unset variable without a default at the reference", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        api_key: \${PLEXUS_API_KEY}
    `);
    expectProblems(lines, [[`${F}:3:12 plexus.api_key`, "environment variable PLEXUS_API_KEY is not set"]]);
  });

  it("points inside a quoted string at the reference that is unset", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: "wss://\${GATEWAY_HOST:-localhost}:\${GATEWAY_PORT}/ws"
    `);
    expectProblems(lines, [[`${F}:3:42 plexus.url`, "environment variable GATEWAY_PORT is not set"]]);
  });

  it("rejects a malformed or unclosed reference", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        url: wss://\${1HOST}/ws
        http_url: https://\${HOST/ingest
    `);
    expectProblems(lines, [
      [`${F}:3:14 plexus.url`, '"${1HOST}" is not a valid reference'],
      [`${F}:4:21 plexus.http_url`, 'unclosed "${"'],
    ]);
  });

  it("reports a missing secret file at the tag, naming where it looked", async () => {
    const credentials = path.join(folder.dir, "credentials");
    mkdirSync(credentials, { recursive: true });
    const lines = await folder.problems(
      yaml`
        plexus:
          source_id: demo
          api_key: !file plexus_api_key
      `,
      { env: { CREDENTIALS_DIRECTORY: credentials } },
    );
    expectProblems(lines, [
      [`${F}:3:18 plexus.api_key`, "secret file plexus_api_key does not exist (looked in credentials/plexus_api_key and plexus_api_key)"],
    ]);
  });

  it("reports a secret path that is a folder without reading anything", async () => {
    mkdirSync(path.join(folder.dir, "secrets"), { recursive: true });
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        api_key: !file secrets/
    `);
    expectProblems(lines, [[`${F}:3:18 plexus.api_key`, "cannot read secret file secrets: it is a folder"]]);
  });

  it("rejects !file on a mapping", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        api_key: !file
          path: key.txt
    `);
    expectProblems(lines, [[`${F}:4:5 plexus.api_key`, "!file takes a file path"]]);
  });

  it("says why an api_key is invalid without printing it", async () => {
    writeFileSync(path.join(folder.dir, "empty_key"), "\n");
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
        api_key: !file empty_key
    `);
    expectProblems(lines, [[`${F}:3:18 plexus.api_key`, "must not be empty"]]);
  });
});

describe("adapters", () => {
  it("lists the known types for an unknown type, with a suggestion", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbuss
    `);
    expectProblems(lines, [
      [
        `${F}:5:11 adapters.plc1.type`,
        'unknown adapter type "testbuss" (did you mean "testbus"?); known types: can, mavlink, modbus, opcua, testbus',
      ],
    ]);
  });

  it("requires a type and a mapping for each adapter", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          url: tcp://10.0.0.5
        plc2: testbus
    `);
    expectProblems(lines, [
      [`${F}:4:3 adapters.plc1.type`, "required key is missing; known adapter types: can, mavlink, modbus, opcua, testbus"],
      [`${F}:6:9 adapters.plc2`, "an adapter is a mapping with at least a type"],
    ]);
  });

  it("rejects an adapter id that cannot be a metric prefix", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        PLC-1:
          type: testbus
          url: tcp://x
    `);
    expectProblems(lines, [[`${F}:4:3 adapters.PLC-1`, 'an adapter id is lower-case letters, digits and "_"']]);
  });

  it("suggests the option meant, from core and adapter keys together", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbus
          url: tcp://x
          pol_interval: 2s
          tag: { line: "3" }
    `);
    expectProblems(lines, [
      [`${F}:7:5 adapters.plc1.pol_interval`, 'unknown key "pol_interval" (did you mean "poll_interval"?)'],
      [`${F}:8:5 adapters.plc1.tag`, 'unknown key "tag" (did you mean "tags"?)'],
    ]);
  });

  it("finds an option error deep in a list", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbus
          url: tcp://x
          devices:
            - unit: 1
              points:
                - { address: 0, metric: a }
            - unit: 2
            - unit: 3
              points:
                - { address: 1, metric: b }
                - address: 2
                  type: u17
                  metric: c
                - address: 70000
                  metric: d
                  adress: 3
    `);
    expectProblems(lines, [
      [`${F}:16:19 adapters.plc1.devices[2].points[1].type`, 'expected one of "u16", "s16", "f32" (did you mean "u16"?)'],
      [`${F}:18:22 adapters.plc1.devices[2].points[2].address`, "expected at most 65535, got 70000"],
      [`${F}:20:13 adapters.plc1.devices[2].points[2].adress`, 'unknown key "adress" (did you mean "address"?)'],
    ]);
  });

  it("checks the core keys of an adapter: source_id, tags, stream, enabled", async () => {
    const seventeen = Array.from({ length: 17 }, (_, i) => `t${i}: v`).join(", ");
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbus
          url: tcp://x
          source_id: Hall_1
          tags: { ${seventeen} }
          stream: sometimes
          enabled: "yes"
    `);
    expectProblems(lines, [
      [`${F}:7:16 adapters.plc1.source_id`, "a source_id is lower-case"],
      [`${F}:8:11 adapters.plc1.tags`, "at most 16 tags"],
      [`${F}:9:13 adapters.plc1.stream`, 'expected one of "always", "on_demand"'],
      [`${F}:10:14 adapters.plc1.enabled`, "expected boolean, received string"],
    ]);
  });

  it("reports a missing required option at the adapter", async () => {
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbus
          poll_interval: 1s
    `);
    expectProblems(lines, [[`${F}:4:3 adapters.plc1.url`, "required key is missing"]]);
  });

  it("reports problems in files an adapter names, only when asked to check files", async () => {
    writeFileSync(path.join(folder.dir, "map.txt"), "holding 1\n  bad 2\n");
    const text = yaml`
      plexus:
        source_id: demo
      adapters:
        plc1:
          type: testbus
          url: tcp://x
          map_file: map.txt
    `;
    expectProblems(await folder.problems(text), []);
    const lines = await folder.problems(text, { checkFiles: true });
    expectProblems(lines, [["map.txt:2:3 adapters.plc1", 'unknown register kind "bad 2"']]);
  });
});

describe("adapter bugs", () => {
  it("reports an options check that throws as a problem of that adapter, not a crash", async () => {
    const throwing = defineAdapter({
      type: "throwingbus",
      summary: "Its options refinement throws.",
      options: z.strictObject({ url: z.string() }).superRefine(() => {
        throw new Error("refinement exploded");
      }),
      create: () => ({ start: async () => {}, stop: async () => {} }),
    });
    registerAdapter("throwingbus", async () => ({ default: throwing }));
    const lines = await folder.problems(yaml`
      plexus:
        source_id: demo
      adapters:
        t1: { type: throwingbus, url: x }
        ok: { type: testbus, url: x, poll_interval: forever }
    `);
    expectProblems(lines, [
      [`${F}:4:3 adapters.t1`, "validating this adapter failed: refinement exploded"],
      [`${F}:5:47 adapters.ok.poll_interval`, "expected a duration"],
    ]);
  });
});
