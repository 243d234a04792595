// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references as YAML text.
/** `check` and `schema` as the CLI runs them: exit codes, what they print, and the config path rules. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CommandIo, DEFAULT_CONFIG_PATH, defaultConfigPath, runCheckCommand, runSchemaCommand } from "../../src/config/commands.js";
import { buildJsonSchema } from "../../src/config/json-schema.js";
import { EXIT_CONFIG } from "../../src/config/problems.js";
import { ConfigFolder, yaml } from "./config-fixture.js";
import { registerTestAdapter, testBusAdapter } from "./test-adapter.js";

registerTestAdapter();
const folder = new ConfigFolder();
afterAll(() => folder.remove());

function capture(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: "", stderr: "" };
  const io: CommandIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    env,
    definitions: async () => [testBusAdapter],
  };
  return { io, out };
}

const valid = yaml`
  plexus:
    source_id: demo
    api_key: \${PLEXUS_API_KEY}
  adapters:
    plc1: { type: testbus, url: tcp://x, map_file: map.txt }
    spare: { type: testbus, url: tcp://y, enabled: false }
`;

describe("config path", () => {
  it("prefers -c, then $PLEXUS_BRIDGE_CONFIG, then /etc", () => {
    expect(defaultConfigPath({}, "given.yaml")).toBe("given.yaml");
    expect(defaultConfigPath({ PLEXUS_BRIDGE_CONFIG: "env.yaml" }, "given.yaml")).toBe("given.yaml");
    expect(defaultConfigPath({ PLEXUS_BRIDGE_CONFIG: "env.yaml" })).toBe("env.yaml");
    expect(defaultConfigPath({})).toBe(DEFAULT_CONFIG_PATH);
    expect(DEFAULT_CONFIG_PATH).toBe("/etc/plexus-bridge/config.yaml");
  });

  it("takes -c FILE, --config FILE and --config=FILE; a -c without a file is a usage error", async () => {
    writeFileSync(path.join(folder.dir, "map.txt"), "holding 1\n");
    const file = folder.write("flags.yaml", valid);
    for (const argv of [["-c", file], ["--config", file], [`--config=${file}`]]) {
      const { io, out } = capture({ PLEXUS_API_KEY: "plx_check_key" });
      expect(await runCheckCommand(argv, io)).toBe(0);
      expect(out.stdout).toContain(`${file}: OK`);
    }
    for (const [argv, message] of [
      [["--config"], "--config needs a value"],
      [["-c", "--help"], "-c needs a value"],
      [["--config="], "--config needs a value"],
      [["--verbose"], "unknown option --verbose"],
      [["extra.yaml"], "unexpected argument: extra.yaml"],
    ] as const) {
      const { io, out } = capture();
      expect(await runCheckCommand(argv, io)).toBe(64);
      expect(out.stderr).toBe(`${message}\nusage: plexus-bridge check [-c FILE]\n`);
    }
  });
});

describe("check", () => {
  it("exits 0 for a valid config and names its adapters", async () => {
    writeFileSync(path.join(folder.dir, "map.txt"), "holding 1\n");
    const file = folder.write("ok.yaml", valid);
    const { io, out } = capture({ PLEXUS_API_KEY: "plx_check_key" });
    expect(await runCheckCommand(["-c", file], io)).toBe(0);
    expect(out.stdout).toBe(`${file}: OK; source demo; 2 adapter(s): plc1 (testbus), spare (testbus, disabled)\n`);
    expect(out.stderr).toBe("");
  });

  it("exits 78 and prints every problem, including those in files the adapters name", async () => {
    writeFileSync(path.join(folder.dir, "map.txt"), "holding 1\nbad 2\n");
    const file = folder.write("bad.yaml", valid.replace("source_id: demo", "source_id: Demo"));
    const { io, out } = capture({ PLEXUS_BRIDGE_CONFIG: file, PLEXUS_API_KEY: "plx_check_key" });
    expect(await runCheckCommand([], io)).toBe(EXIT_CONFIG);
    expect(out.stderr).toBe(
      [
        `${file}:2:14 plexus.source_id: a source_id is lower-case letters, digits, '.', '_' and '-', starting with a letter or digit`,
        `${path.join(folder.dir, "map.txt")}:2:1 adapters.plc1: unknown register kind "bad 2"`,
        `2 problems in ${file}`,
        "",
      ].join("\n"),
    );
    expect(out.stderr).not.toContain("plx_check_key");
    expect(out.stdout).toBe("");
  });

  it("exits 78 for a config that does not exist", async () => {
    const { io, out } = capture();
    expect(await runCheckCommand(["--config", path.join(folder.dir, "nope.yaml")], io)).toBe(EXIT_CONFIG);
    expect(out.stderr).toContain("nope.yaml: cannot load the config: the file does not exist");
  });

  it("exits 64 on a usage mistake", async () => {
    const { io, out } = capture();
    expect(await runCheckCommand(["extra"], io)).toBe(64);
    expect(out.stderr).toContain("usage: plexus-bridge check [-c FILE]");
  });
});

describe("the plexus-bridge executable", () => {
  // A real child process through bin/plexus-bridge.js, to prove the exit codes reach the shell.
  const bin = path.resolve(import.meta.dirname, "../../bin/plexus-bridge.js");
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 30_000 });

  it("check exits 0 for a valid config and 78 with every problem for a broken one", () => {
    const example = path.resolve(import.meta.dirname, "../../config/example.yaml");
    // The example reads the key as the service does: the api_key credential (LoadCredential=).
    const ok = run(["check", "-c", example], { CREDENTIALS_DIRECTORY: path.dirname(folder.write("api_key", "plx_from_file\n")) });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    const broken = folder.write("broken.yaml", "plexus:\n  source_id: demo\n  api_key: ${PLEXUS_API_KEY}\nadaptors: {}\n");
    const failed = run(["check", "-c", broken], {});
    expect(failed.status).toBe(78);
    expect(failed.stderr).toContain(`${broken}:3:12 plexus.api_key: environment variable PLEXUS_API_KEY is not set`);
    expect(failed.stderr).toContain(`${broken}:4:1 adaptors: unknown key "adaptors" (did you mean "adapters"?)`);
  });

  // The hint is about a machine with no config installed; where one is, the bare command runs it.
  it.skipIf(existsSync(DEFAULT_CONFIG_PATH))(
    "the bare command without a config at the default path says how to name one (skipped where /etc/plexus-bridge/config.yaml exists)",
    () => {
      const bare = run([], {});
      expect(bare.status).toBe(78);
      expect(bare.stderr).toContain(`${DEFAULT_CONFIG_PATH}: cannot load the config: the file does not exist`);
      expect(bare.stderr).toContain("name one with -c FILE or $PLEXUS_BRIDGE_CONFIG");
      const named = run(["run", "-c", path.join(folder.dir, "nope.yaml")], {});
      expect(named.status).toBe(78);
      expect(named.stderr).not.toContain("name one with -c FILE");
    },
  );
});

describe("schema", () => {
  it("prints the JSON Schema", async () => {
    const { io, out } = capture();
    expect(await runSchemaCommand([], io)).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(await buildJsonSchema([testBusAdapter]));
  });

  it("writes the file, then --check passes until it goes stale", async () => {
    const file = path.join(folder.dir, "schema.json");
    const { io, out } = capture();
    expect(await runSchemaCommand(["--check", "--file", file], io)).toBe(1);
    expect(out.stderr).toContain(`${file} is missing`);
    expect(await runSchemaCommand(["--write", "--file", file], io)).toBe(0);
    expect(await runSchemaCommand(["--check", "--file", file], io)).toBe(0);
    expect(out.stdout).toContain(`${file} is up to date`);
    writeFileSync(file, readFileSync(file, "utf8").replace("Register encoding.", "Old description."));
    expect(await runSchemaCommand(["--check", "--file", file], io)).toBe(1);
    expect(out.stderr).toContain(`${file} is stale: run \`plexus-bridge schema --write\``);
  });

  it("refuses unknown arguments", async () => {
    const { io } = capture();
    expect(await runSchemaCommand(["--frobnicate"], io)).toBe(64);
  });
});
