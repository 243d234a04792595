import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnChild, waitFor } from "./helpers/child.js";
import { tempDir } from "./pipeline/queue-helpers.js";

function config(body: string): string {
  const dir = tempDir();
  const file = join(dir, "config.yaml");
  writeFileSync(file, `plexus:\n  source_id: test-src\nstate_dir: ${join(dir, "state")}\nadapters:\n${body}`);
  return file;
}

type TailLine = { metric: string; value: number; adapter: string; tags: Record<string, string> };
const parse = (lines: string[]): TailLine[] => lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

describe("supervisor", () => {
  it("keeps retrying an adapter that fails to start while another keeps delivering", async () => {
    const file = config(
      "  flaky:\n    type: testseq\n    fail_starts: 2\n    count: 50\n  steady:\n    type: testseq\n    count: 300\n    batch: 5\n    interval: 10ms\n",
    );
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--log-level", "info"]);
    expect(await child.exited).toBe(0);
    const points = parse(child.lines);
    const steady = points.filter((p) => p.adapter === "steady").map((p) => p.value);
    const flaky = points.filter((p) => p.adapter === "flaky").map((p) => p.value);
    expect(steady).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(flaky).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // steady delivered while flaky was still being refused: its first points precede flaky's.
    const firstFlaky = points.findIndex((p) => p.adapter === "flaky");
    expect(points.slice(0, firstFlaky).filter((p) => p.adapter === "steady").length).toBeGreaterThan(50);
    const log = child.stderr.join("\n");
    expect(log).toContain("flaky: failed to start: refused start #1");
    expect(log).toContain("flaky: failed to start: refused start #2");
    expect(log).toMatch(/flaky: restarting in \d/);
    expect(points.every((p) => p.metric === `${p.adapter}.seq`)).toBe(true);
  }, 30_000);

  it("restarts an adapter that throws later, and only that one", async () => {
    const file = config(
      "  boom:\n    type: testseq\n    throw_after: 30\n  steady:\n    type: testseq\n    batch: 5\n    interval: 10ms\n",
    );
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--log-level", "info"]);
    await waitFor(() => child.stderr.filter((l) => l.includes("boom: started")).length >= 2 && child.lines.length > 100);
    child.process.kill("SIGTERM");
    // Seen once under heavy load: exit 1 instead of 0. The log says why, if it happens again.
    expect(await child.exited, child.stderr.slice(-20).join("\n")).toBe(0);
    const log = child.stderr.join("\n");
    expect(log).toContain("boom: failed: testseq boom blew up after 30 points");
    const steady = parse(child.lines)
      .filter((p) => p.adapter === "steady")
      .map((p) => p.value);
    // steady never restarted: one unbroken sequence from 0.
    expect(steady.length).toBeGreaterThan(10);
    expect(steady).toEqual(Array.from({ length: steady.length }, (_, i) => i));
    // boom's second instance started again from 0.
    const boom = parse(child.lines)
      .filter((p) => p.adapter === "boom")
      .map((p) => p.value);
    expect(boom.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(boom.lastIndexOf(0)).toBeGreaterThanOrEqual(30);
  }, 30_000);
});

describe("an exception while the queue drains", () => {
  it("an adapter that throws from a timer while stopping neither kills the bridge nor goes unsaid", async () => {
    // The handlers used to be removed as soon as the stop began, before the adapters and the queue
    // were stopped: such a throw then killed the process with exit 1 in the middle of the drain.
    const file = config("  leaky:\n    type: testseq\n    batch: 5\n    interval: 10ms\n    throw_on_stop: true\n");
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--log-level", "info"]);
    await waitFor(() => child.lines.length > 20);
    child.process.kill("SIGTERM");
    expect(await child.exited, child.stderr.slice(-20).join("\n")).toBe(0);
    expect(child.stderr.join("\n")).toContain("leaky: failed while stopping: testseq leaky threw while stopping");
  }, 30_000);
});

describe("reload (SIGHUP)", () => {
  it("restarts only the adapter whose options changed and refuses a broken config", async () => {
    const body = (label: string) =>
      `  changes:\n    type: testseq\n    batch: 2\n    interval: 10ms\n    label: ${label}\n  stays:\n    type: testseq\n    batch: 2\n    interval: 10ms\n`;
    const file = config(body("before"));
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson", "--log-level", "info"]);
    await waitFor(() => child.lines.length > 40, 20_000, "points before the reload");
    writeFileSync(file, (await import("node:fs")).readFileSync(file, "utf8").replace("label: before", "label: after"));
    child.process.kill("SIGHUP");
    await waitFor(() => child.stderr.some((l) => l.includes("reloaded:")), 20_000, "the reload");
    expect(child.stderr.find((l) => l.includes("reloaded:"))).toContain("reloaded: 1 restarted (changes), 0 added, 0 removed");
    await waitFor(() => parse(child.lines).some((p) => p.tags.label === "after"), 20_000, "points after the reload");

    // A broken config is refused with its position, and the bridge goes on as it was.
    const broken = (await import("node:fs"))
      .readFileSync(file, "utf8")
      .replace("interval: 10ms\n    label", "interval: 10 parsecs\n    label");
    writeFileSync(file, broken);
    child.process.kill("SIGHUP");
    await waitFor(() => child.stderr.some((l) => l.includes("reload refused")), 20_000, "the refusal");
    expect(child.stderr.join("\n")).toMatch(/config\.yaml:\d+:\d+ .*interval/);
    const countBefore = child.lines.length;
    await waitFor(() => child.lines.length > countBefore + 20, 20_000, "points after the refused reload");
    child.process.kill("SIGTERM");
    expect(await child.exited).toBe(0);

    const points = parse(child.lines);
    const stays = points.filter((p) => p.adapter === "stays").map((p) => p.value);
    expect(stays).toEqual(Array.from({ length: stays.length }, (_, i) => i));
    const changes = points.filter((p) => p.adapter === "changes");
    const firstAfter = changes.findIndex((p) => p.tags.label === "after");
    expect(changes[firstAfter].value).toBe(0);
    expect(changes.slice(firstAfter).every((p) => p.tags.label === "after")).toBe(true);
  }, 40_000);
});

describe("tail output", () => {
  it("prints one stable NDJSON object per point and exits when the replays end", async () => {
    const file = config("  gen:\n    type: testseq\n    count: 25\n    tags: { line: l3 }\n");
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson"]);
    expect(await child.exited).toBe(0);
    const objects = child.lines.map((line) => JSON.parse(line));
    expect(objects).toHaveLength(25);
    for (const [i, object] of objects.entries()) {
      expect(Object.keys(object)).toEqual(["metric", "value", "class", "timestamp", "tags", "source_id", "adapter"]);
      expect(object).toMatchObject({
        metric: "gen.seq",
        value: i,
        class: "metric",
        tags: { line: "l3", label: "a" },
        source_id: "test-src",
        adapter: "gen",
      });
      expect(Math.abs(object.timestamp - Date.now())).toBeLessThan(60_000);
    }
  }, 30_000);

  it("refuses an unknown --adapter with the list of ids", async () => {
    const file = config("  gen:\n    type: testseq\n    count: 5\n");
    const child = spawnChild(["cli", "tail", "-c", file, "--adapter", "nope"]);
    expect(await child.exited).toBe(64);
    expect(child.stderr.join("\n")).toContain("no adapter nope in");
    expect(child.stderr.join("\n")).toContain("(adapters: gen)");
  }, 30_000);
});
