/** Writes configs into a temp folder and loads them, so each test states its YAML inline. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { type LoadOptions, loadConfig } from "../../src/config/load.js";
import { formatProblems } from "../../src/config/problems.js";

export class ConfigFolder {
  readonly dir = mkdtempSync(path.join(tmpdir(), "plexus-config-"));

  write(name: string, text: string): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, text);
    return file;
  }

  /** Loads `text` as config.yaml and returns its problems formatted, with the folder stripped from file names. */
  async problems(text: string, opts: LoadOptions = {}): Promise<string[]> {
    const file = this.write("config.yaml", text);
    const result = await loadConfig(file, { env: {}, ...opts });
    return result.problems.length === 0
      ? []
      : formatProblems(result.problems)
          .split("\n")
          .map((line) => line.replaceAll(`${this.dir}/`, ""));
  }

  async load(text: string, opts: LoadOptions = {}) {
    return loadConfig(this.write("config.yaml", text), { env: {}, ...opts });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Asserts the problems are exactly these, in this order: each given as its exact
 * `file:line:col path` and a fragment of its message.
 */
export function expectProblems(lines: string[], expected: Array<[where: string, gist: string]>): void {
  expect(lines, lines.join("\n")).toHaveLength(expected.length);
  expected.forEach(([where, gist], i) => {
    const line = lines[i];
    // `file:line:col path: message`, or `file:line:col message` for a problem about the whole document.
    // A problem without a position (an unreadable file) is `file: message`.
    const colon = /^\S+:\d+:\d+ \S/.test(where) || !/:\d+:\d+$/.test(where);
    expect(line.startsWith(colon ? `${where}: ` : `${where} `), `line ${i}: ${line}`).toBe(true);
    expect(line.slice(where.length), `line ${i}`).toContain(gist);
  });
}

/** A template tag that removes the common indentation, so YAML can sit indented in a test. Write `\${VAR}` for a literal reference. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((all, part, i) => all + part + (i < values.length ? String(values[i]) : ""), "").replace(/^\n/, "");
  const indents = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => /^ */.exec(line)?.[0].length ?? 0);
  const common = Math.min(...indents);
  return text
    .split("\n")
    .map((line) => line.slice(common))
    .join("\n")
    .replace(/[ ]+$/, "");
}
