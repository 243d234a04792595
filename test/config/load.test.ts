// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references as YAML text.
/** Good configs: defaults, ${ENV}, !file secrets, CREDENTIALS_DIRECTORY, and keys that never leak. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { formatProblems } from "../../src/config/problems.js";
import { ConfigFolder, yaml } from "./config-fixture.js";
import { registerTestAdapter, testBusAdapter } from "./test-adapter.js";

registerTestAdapter();
const folder = new ConfigFolder();
afterAll(() => folder.remove());

describe("defaults", () => {
  it("fills every default and derives adapter ids, prefixes and sources", async () => {
    const { config, problems } = await folder.load(yaml`
      plexus:
        source_id: press-line-3
      adapters:
        plc1:
          type: testbus
          url: tcp://10.0.0.5:502
        plc2:
          type: testbus
          url: tcp://10.0.0.6:502
          source_id: plc-hall-2
          prefix: ""
          tags: { hall: "2", floor: 1 }
          stream: on_demand
          enabled: false
          poll_interval: 250ms
          buffer: 1MiB
    `);
    expect(problems).toEqual([]);
    expect(config?.file).toBe(path.join(folder.dir, "config.yaml"));
    expect(config?.dir).toBe(folder.dir);
    expect(config?.queue).toEqual({
      durability: "spill",
      memory_max_points: 1_000_000,
      memory_max_bytes: 256 * 1024 * 1024,
      high_water: 0.8,
      spool_max_bytes: 1024 ** 3,
      when_full: "drop_oldest",
    });
    expect(config?.log).toEqual({ level: "info", format: "text" });
    expect(config?.shutdownTimeoutMs).toBe(10_000);
    expect(config?.stateDir).toBeUndefined();
    expect(config?.apiKey).toBeUndefined();
    const [plc1, plc2] = config?.adapters ?? [];
    expect(plc1).toMatchObject({ id: "plc1", type: "testbus", sourceId: "press-line-3", prefix: "plc1.", tags: {}, stream: "always" });
    expect(plc1.enabled).toBe(true);
    expect(plc1.options).toEqual({ url: "tcp://10.0.0.5:502", poll_interval: 1000, buffer: 65_536, devices: [] });
    expect(plc1.definition).toBe(testBusAdapter);
    expect(plc2).toMatchObject({
      sourceId: "plc-hall-2",
      prefix: "",
      tags: { hall: "2", floor: "1" },
      stream: "on_demand",
      enabled: false,
    });
    expect(plc2.options).toMatchObject({ poll_interval: 250, buffer: 1024 * 1024 });
    // Core keys are the core's: they never reach the adapter's options.
    expect(Object.keys(plc2.options)).not.toContain("source_id");
  });

  it("resolves state_dir against the config's folder and converts units", async () => {
    const { config } = await folder.load(yaml`
      plexus: { source_id: demo }
      state_dir: state
      shutdown_timeout: 1m
      log: { level: debug, format: json }
      queue: { durability: always, memory_max_bytes: 64MiB }
    `);
    expect(config?.stateDir).toBe(path.join(folder.dir, "state"));
    expect(config?.shutdownTimeoutMs).toBe(60_000);
    expect(config?.log).toEqual({ level: "debug", format: "json" });
    expect(config?.queue).toMatchObject({ durability: "always", memory_max_bytes: 64 * 1024 * 1024 });
    expect(config?.adapters).toEqual([]);
  });
});

describe("environment substitution", () => {
  it("substitutes variables and defaults, typing a whole plain value as the YAML it reads as", async () => {
    const env = { GATEWAY: "wss://gw.example", UNIT: "7", EMPTY: "" };
    const { config, problems } = await folder.load(
      yaml`
        plexus:
          source_id: \${SOURCE:-demo}
          url: \${GATEWAY}
          allow_insecure: \${INSECURE:-false}
        adapters:
          plc1:
            type: testbus
            url: "tcp://\${HOST:-localhost}:\${PORT-502}"
            password: "\${EMPTY:-fallback}\${EMPTY-}"
            devices:
              - unit: \${UNIT}
                name: "\${UNIT}"
                points:
                  - address: \${ADDR:-40001}
                    metric: "cost_$\${currency}"
      `,
      { env },
    );
    expect(problems).toEqual([]);
    expect(config?.plexus.source_id).toBe("demo");
    expect(config?.plexus.url).toBe("wss://gw.example");
    expect(config?.plexus.allow_insecure).toBe(false);
    const options = config?.adapters[0].options;
    expect(options?.url).toBe("tcp://localhost:502");
    expect(options?.password).toBe("fallback");
    expect(options?.devices).toEqual([{ unit: 7, name: "7", points: [{ address: 40001, type: "u16", metric: "cost_${currency}" }] }]);
  });
});

describe("secrets", () => {
  it("reads !file relative to the config's folder and trims the trailing newline", async () => {
    mkdirSync(path.join(folder.dir, "secrets"), { recursive: true });
    writeFileSync(path.join(folder.dir, "secrets", "api_key"), "plx_relative_key\n");
    writeFileSync(path.join(folder.dir, "bus_password"), "hunter2hunter2\r\n");
    const { config, problems } = await folder.load(yaml`
      plexus:
        source_id: demo
        api_key: !file secrets/api_key
      adapters:
        plc1: { type: testbus, url: tcp://x, password: !file ./bus_password }
    `);
    expect(problems).toEqual([]);
    expect(config?.apiKey).toBe("plx_relative_key");
    expect(config?.adapters[0].options.password).toBe("hunter2hunter2");
  });

  it("looks up a bare !file name in $CREDENTIALS_DIRECTORY first (systemd LoadCredential=)", async () => {
    const credentials = path.join(folder.dir, "run-credentials");
    mkdirSync(credentials, { recursive: true });
    writeFileSync(path.join(credentials, "plexus_key"), "plx_from_systemd\n");
    writeFileSync(path.join(folder.dir, "plexus_key"), "plx_from_config_dir\n");
    const text = yaml`
      plexus:
        source_id: demo
        api_key: !file plexus_key
    `;
    const withCredentials = await folder.load(text, { env: { CREDENTIALS_DIRECTORY: credentials } });
    expect(withCredentials.config?.apiKey).toBe("plx_from_systemd");
    const without = await folder.load(text, { env: {} });
    expect(without.config?.apiKey).toBe("plx_from_config_dir");
  });

  it("keeps the api key out of printed and serialised configs, while the uplink can read it", async () => {
    const { config } = await folder.load(
      yaml`
        plexus:
          source_id: demo
          api_key: \${PLEXUS_API_KEY}
        adapters:
          plc1: { type: testbus, url: tcp://x }
      `,
      { env: { PLEXUS_API_KEY: "plx_never_printed_123" } },
    );
    expect(config?.apiKey).toBe("plx_never_printed_123");
    expect(config?.plexus.api_key).toBe("plx_never_printed_123");
    expect(JSON.stringify(config)).not.toContain("plx_never_printed_123");
    expect(inspect(config, { depth: 10 })).not.toContain("plx_never_printed_123");
    expect(JSON.stringify(config)).toContain('"prefix":"plc1."');
    expect(config?.adapters[0].optionsKey).not.toContain("tcp://x");
  });

  it("never echoes a secret in a problem, even where a message would quote the value", async () => {
    writeFileSync(path.join(folder.dir, "key_file"), "plx_secret_in_file\n");
    const result = await folder.load(
      yaml`
        plexus:
          source_id: demo
          api_key: \${PLEXUS_API_KEY}
          frame_interval: \${PLEXUS_API_KEY}
          connect_timeout: !file key_file
        adapters:
          plc1: { type: testbus, url: tcp://x, poll_interval: !file key_file }
      `,
      { env: { PLEXUS_API_KEY: "plx_secret_from_env" } },
    );
    const printed = formatProblems(result.problems);
    expect(result.problems.map((p) => p.path)).toEqual(["plexus.frame_interval", "plexus.connect_timeout", "adapters.plc1.poll_interval"]);
    expect(printed).toContain('got "<redacted>"');
    expect(printed).not.toContain("plx_secret_from_env");
    expect(printed).not.toContain("plx_secret_in_file");
  });
});

describe("reload fingerprints", () => {
  const base = (pollInterval: string, tags = "{}") => yaml`
    plexus: { source_id: demo }
    adapters:
      a: { type: testbus, url: tcp://a, poll_interval: ${pollInterval}, tags: ${tags} }
      b: { type: testbus, url: tcp://b }
  `;

  it("changes optionsKey only for the adapter whose settings changed", async () => {
    const first = await folder.load(base("1s"));
    const same = await folder.load(base("1000ms"));
    const changed = await folder.load(base("2s"));
    const retagged = await folder.load(base("1s", "{ line: '1' }"));
    const keys = (result: typeof first) => result.config?.adapters.map((a) => a.optionsKey);
    expect(keys(same)).toEqual(keys(first));
    expect(keys(changed)?.[0]).not.toBe(keys(first)?.[0]);
    expect(keys(changed)?.[1]).toBe(keys(first)?.[1]);
    expect(keys(retagged)?.[0]).not.toBe(keys(first)?.[0]);
    expect(keys(retagged)?.[1]).toBe(keys(first)?.[1]);
  });
});

describe("YAML features", () => {
  it("expands anchors, aliases and merge keys, and takes empty sections as their defaults", async () => {
    const { config, problems } = await folder.load(yaml`
      plexus: { source_id: demo }
      queue:
      log:
      x_common: &common
        type: testbus
        poll_interval: 2s
      adapters:
        a: { <<: *common, url: tcp://a }
        b:
          <<: *common
          url: tcp://b
          poll_interval: 5s
    `);
    // x_common is not a known key: the anchor has to live somewhere the schema allows.
    expect(formatProblems(problems)).toBe(`${folder.dir}/config.yaml:4:1 x_common: unknown key "x_common"`);
    expect(config).toBeUndefined();
    const fixed = await folder.load(yaml`
      plexus: { source_id: demo }
      queue:
      log:
      adapters:
        a: &common { type: testbus, url: tcp://a, poll_interval: 2s }
        b:
          <<: *common
          url: tcp://b
    `);
    expect(fixed.problems).toEqual([]);
    expect(fixed.config?.log).toEqual({ level: "info", format: "text" });
    expect(fixed.config?.adapters.map((a) => [a.id, a.options.url, a.options.poll_interval])).toEqual([
      ["a", "tcp://a", 2000],
      ["b", "tcp://b", 2000],
    ]);
  });

  it("reports an alias bomb instead of expanding it", async () => {
    const bomb = ["plexus: { source_id: demo }", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const { problems } = await folder.load(`${bomb.join("\n")}\n`);
    expect(formatProblems(problems)).toMatch(/config\.yaml:1:1 the YAML cannot be expanded: .*alias/i);
  });
});
