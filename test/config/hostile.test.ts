// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests write ${VAR} references as YAML text.
/**
 * `check` on hostile or careless input: !file on a FIFO, a device, a folder or a huge file;
 * tens of thousands of problems (printed capped); several problems in one section reported at
 * once; a config that names no API key.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CommandIo, runCheckCommand } from "../../src/config/commands.js";
import { formatProblems } from "../../src/config/problems.js";
import { MAX_SECRET_FILE_BYTES } from "../../src/config/references.js";
import { ConfigFolder, expectProblems, yaml } from "./config-fixture.js";
import { registerTestAdapter } from "./test-adapter.js";

registerTestAdapter();
const folder = new ConfigFolder();
afterAll(() => folder.remove());

const withKey = (key: string) => yaml`
  plexus:
    source_id: demo
    api_key: ${key}
`;

describe("!file refuses what is not a small regular file, at the line that names it", () => {
  it("a FIFO: an error, not a hang", async () => {
    const fifo = path.join(folder.dir, "pipe");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    expectProblems(await folder.problems(withKey("!file pipe")), [
      ["config.yaml:3:18 plexus.api_key", `cannot read secret file pipe: it is a FIFO (named pipe); a secret file is a regular file`],
    ]);
  });

  it("/dev/urandom: an error, not a gigabyte read", async () => {
    expectProblems(await folder.problems(withKey("!file /dev/urandom")), [
      ["config.yaml:3:18 plexus.api_key", "cannot read secret file /dev/urandom: it is a device; a secret file is a regular file"],
    ]);
  });

  it("a folder", async () => {
    mkdirSync(path.join(folder.dir, "keys"), { recursive: true });
    expectProblems(await folder.problems(withKey("!file keys")), [["config.yaml:3:18 plexus.api_key", "it is a folder"]]);
  });

  it("a file over 64 KiB; one of exactly 64 KiB is read", async () => {
    writeFileSync(path.join(folder.dir, "big"), "k".repeat(MAX_SECRET_FILE_BYTES + 1));
    expectProblems(await folder.problems(withKey("!file big")), [["config.yaml:3:18 plexus.api_key", "it is larger than 64 KiB"]]);
    writeFileSync(path.join(folder.dir, "edge"), "k".repeat(MAX_SECRET_FILE_BYTES));
    const { config } = await folder.load(withKey("!file edge"));
    expect(config?.apiKey).toHaveLength(MAX_SECRET_FILE_BYTES);
  });
});

describe("many problems", () => {
  it("prints the first 100, then how many more", async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `  junk_${i}: 1`).join("\n");
    const lines = await folder.problems(`plexus:\n  source_id: demo\n${keys}\n`);
    expect(lines).toHaveLength(101);
    expect(lines[0]).toBe('config.yaml:3:3 plexus.junk_0: unknown key "junk_0"');
    expect(lines[99]).toBe('config.yaml:102:3 plexus.junk_99: unknown key "junk_99"');
    expect(lines[100]).toBe("… and 150 more");
    expect(formatProblems([])).toBe("");
  });

  it("reports 5,000 duplicate keys, each at its own line", async () => {
    const keys = Array.from({ length: 5000 }, () => "  url: wss://x").join("\n");
    const { problems } = await folder.load(`plexus:\n  source_id: demo\n${keys}\n`);
    const duplicates = problems.filter((p) => p.message.startsWith("duplicate key"));
    expect(duplicates).toHaveLength(4999);
    expect(duplicates.map((p) => p.line)).toEqual(Array.from({ length: 4999 }, (_, i) => i + 4));
    expect(duplicates.every((p) => p.path === "plexus.url")).toBe(true);
  });
});

describe("every problem at once", () => {
  it("a bad source_id and a bad url in one section are both reported", async () => {
    expectProblems(await folder.problems("plexus:\n  source_id: Bad ID\n  url: ftp://x\n"), [
      ["config.yaml:2:14 plexus.source_id", "a source_id is lower-case letters"],
      ["config.yaml:3:8 plexus.url", "must be ws://, wss://, http:// or https://"],
    ]);
  });
});

describe("the API key", () => {
  const noKey = "plexus:\n  source_id: demo\n";

  it("is an error for check and run when the config names none and $PLEXUS_API_KEY is unset", async () => {
    expectProblems(await folder.problems(noKey, { needsApiKey: true }), [
      ["config.yaml:1:1 plexus.api_key", "no API key: set plexus.api_key (e.g. !file api_key) or the environment variable PLEXUS_API_KEY"],
    ]);
    const out = { stderr: "" };
    const io: CommandIo = {
      stdout: () => {},
      stderr: (text) => {
        out.stderr += text;
      },
      env: {},
    };
    expect(await runCheckCommand(["-c", folder.write("nokey.yaml", noKey)], io)).toBe(78);
    expect(out.stderr).toContain("nokey.yaml:1:1 plexus.api_key: no API key");
  });

  it("comes from $PLEXUS_API_KEY when the config names none, and stays secret", async () => {
    const { config, problems } = await folder.load(noKey, { needsApiKey: true, env: { PLEXUS_API_KEY: "plx_from_env_0000" } });
    expect(problems).toEqual([]);
    expect(config?.apiKey).toBe("plx_from_env_0000");
    expect(JSON.stringify(config)).not.toContain("plx_from_env");
  });

  it("is not needed by tail, which sends nothing", async () => {
    expect(await folder.problems(noKey)).toEqual([]);
  });
});
