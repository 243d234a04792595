/**
 * Every shipped example validates: config/*.yaml and adapters/<type>/example.yaml, whichever exist
 * now, with the real adapters and their file checks (DBC, register maps) on.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { formatProblems } from "../../src/config/problems.js";

const root = path.resolve(import.meta.dirname, "../..");
const configExamples = readdirSync(path.join(root, "config"))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => path.join("config", name));
const adapterExamples = readdirSync(path.join(root, "adapters"))
  .map((type) => path.join("adapters", type, "example.yaml"))
  .filter((file) => existsSync(path.join(root, file)));
// Examples take the key from the environment, or (config/example.yaml, as installed as a service)
// from the credential systemd's LoadCredential=api_key hands over.
const credentials = mkdtempSync(path.join(tmpdir(), "plexus-credentials-"));
writeFileSync(path.join(credentials, "api_key"), "plx_example_key\n");
const env = { PLEXUS_API_KEY: "plx_example_key", CREDENTIALS_DIRECTORY: credentials };

describe("examples", () => {
  it("has examples to check", () => {
    expect(configExamples.length).toBeGreaterThanOrEqual(2);
  });

  it.each([...configExamples, ...adapterExamples])("%s is valid", async (file) => {
    const { config, problems } = await loadConfig(path.join(root, file), { env, checkFiles: true, needsApiKey: true });
    expect(formatProblems(problems)).toBe("");
    expect(config?.adapters.length).toBeGreaterThan(0);
  });

  it.each(configExamples)("%s points editors at the JSON Schema on its first line", (file) => {
    const firstLine = readFileSync(path.join(root, file), "utf8").split("\n")[0];
    expect(firstLine).toBe("# yaml-language-server: $schema=./plexus-bridge.schema.json");
  });
});
