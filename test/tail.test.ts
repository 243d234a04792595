/**
 * `plexus-bridge tail` for commissioning: --once on the demo's real captures, --count, --duration,
 * and the table view (values at their precision, columns aligned past long names).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { displayValue } from "../src/tail.js";
import { repoRoot, spawnChild } from "./helpers/child.js";
import { tempDir } from "./pipeline/queue-helpers.js";

type TailLine = { metric: string; value: unknown; adapter: string; tags: Record<string, string> };
const parse = (lines: string[]): TailLine[] => lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

function config(body: string): string {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  writeFileSync(file, `plexus:\n  source_id: test-src\nstate_dir: ${join(dir, "state")}\nadapters:\n${body}`);
  return file;
}

describe("tail --once, --count, --duration", () => {
  it("--once prints the first value of every metric of the demo's looping replays, then exits 0", async () => {
    const child = spawnChild(["cli", "tail", "--once", "-c", join(repoRoot, "config/demo.yaml"), "--format=ndjson"]);
    expect(await child.exited).toBe(0);
    const points = parse(child.lines);
    const keys = points.map((p) => `${p.metric} ${JSON.stringify(p.tags)}`);
    expect(new Set(keys).size).toBe(keys.length);
    const metrics = points.map((p) => p.metric);
    expect(metrics).toContain("sub.attitude.roll");
    expect(metrics).toContain("car.ESP_21.ESP_v_Signal");
    expect(points.length).toBeGreaterThan(50);
  }, 60_000);

  it("--count N prints exactly N points of an endless adapter and exits 0", async () => {
    const file = config("  steady:\n    type: testseq\n    batch: 7\n    interval: 5ms\n");
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--count", "25"]);
    expect(await child.exited).toBe(0);
    expect(parse(child.lines).map((p) => p.value)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  }, 30_000);

  it("--duration D stops an endless adapter and exits 0", async () => {
    const file = config("  steady:\n    type: testseq\n    interval: 20ms\n");
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--duration", "1s"]);
    expect(await child.exited).toBe(0);
    expect(parse(child.lines).length).toBeGreaterThan(0);
  }, 30_000);
});

describe("the table view", () => {
  it("prints values at their precision and keeps the value column aligned for long names", async () => {
    const longId = "an_adapter_with_a_rather_long_identifier";
    const file = config(
      `  short:\n    type: testseq\n    step: 0.1\n    count: 12\n  ${longId}:\n    type: testseq\n    step: 0.3\n    count: 12\n`,
    );
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "table"]);
    expect(await child.exited).toBe(0);
    const rows = child.lines.filter((line) => /^\d{4}-/.test(line));
    expect(rows).toHaveLength(24);
    const text = rows.join("\n");
    expect(text).not.toMatch(/0000000|9999999/);
    expect(rows.some((row) => / 0\.3 /.test(row) && row.includes("short.seq"))).toBe(true);
    // Every value ends in the same column once the long name has been seen.
    const valueEnds = rows.map((row) => row.trimEnd().lastIndexOf(" label="));
    const afterLong = valueEnds.slice(rows.findIndex((row) => row.includes(longId)));
    expect(new Set(afterLong).size).toBe(1);
  }, 30_000);

  it("rounds to the 15 significant digits a double carries", () => {
    expect(displayValue(18.900000000000002)).toBe("18.9");
    expect(displayValue(0.1 * 3)).toBe("0.3");
    expect(displayValue(1 / 3)).toBe("0.333333333333333");
    expect(displayValue(123456789012)).toBe("123456789012");
    expect(displayValue(-0.000012345)).toBe("-0.000012345");
    expect(displayValue("on")).toBe("on");
    expect(displayValue(true)).toBe("true");
    expect(displayValue(Number.NaN)).toBe("NaN");
  });
});
