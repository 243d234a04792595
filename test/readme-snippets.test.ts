/**
 * Every whole config shown in a README (a ```yaml block with top-level `plexus:` and `adapters:`)
 * passes `check`, with the real adapters and their file checks. Each is checked as if saved
 * beside its README (files it names, such as maps/sdm630.yaml, resolve there), with the API key
 * available both ways the docs give: the api_key credential and $PLEXUS_API_KEY.
 */
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../src/config/load.js";
import { formatProblems } from "../src/config/problems.js";
import { repoRoot } from "./helpers/child.js";

const readmes = [
  "README.md",
  "config/README.md",
  ...readdirSync(path.join(repoRoot, "adapters")).map((type) => path.join("adapters", type, "README.md")),
].filter((file) => {
  try {
    readFileSync(path.join(repoRoot, file));
    return true;
  } catch {
    return false;
  }
});

interface Snippet {
  readme: string;
  line: number;
  text: string;
}

function wholeConfigs(readme: string): Snippet[] {
  const lines = readFileSync(path.join(repoRoot, readme), "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```yaml") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    const text = lines.slice(start, end).join("\n");
    i = end;
    let doc: unknown;
    try {
      doc = parse(text, { logLevel: "silent" });
    } catch {
      continue; // a fragment that is not YAML on its own
    }
    if (doc && typeof doc === "object" && "plexus" in doc && "adapters" in doc) snippets.push({ readme, line: start, text });
  }
  return snippets;
}

const snippets = readmes.flatMap(wholeConfigs);

/** A temp folder that looks like the README's: its files linked in, plus the key. */
function besideReadme(readme: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "plexus-readme-"));
  const folder = path.dirname(path.join(repoRoot, readme));
  for (const name of readdirSync(folder)) symlinkSync(path.join(folder, name), path.join(dir, name));
  writeFileSync(path.join(dir, "api_key"), "plx_readme_key\n");
  return dir;
}

describe("README config snippets", () => {
  it("finds the whole configs (README.md's and the Modbus README's at least)", () => {
    expect(snippets.map((s) => s.readme)).toEqual(expect.arrayContaining(["README.md", path.join("adapters", "modbus", "README.md")]));
  });

  it.each(snippets.map((s) => [`${s.readme}:${s.line}`, s] as const))("%s passes check", async (_, snippet) => {
    const dir = besideReadme(snippet.readme);
    const file = path.join(dir, "readme-snippet.yaml");
    writeFileSync(file, snippet.text);
    const { config, problems } = await loadConfig(file, {
      env: { PLEXUS_API_KEY: "plx_readme_key", CREDENTIALS_DIRECTORY: dir },
      checkFiles: true,
    });
    expect(formatProblems(problems)).toBe("");
    expect(config?.adapters.length).toBeGreaterThan(0);
  });
});
