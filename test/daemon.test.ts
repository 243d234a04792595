import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnChild } from "./helpers/child.js";
import { tempDir } from "./pipeline/queue-helpers.js";

function writeConfig(dir: string, body: string): string {
  const file = join(dir, "config.yaml");
  writeFileSync(file, `plexus:\n  source_id: test-src\nstate_dir: ${join(dir, "state")}\n${body}`);
  return file;
}

describe("spool across a SIGKILL", () => {
  it("replays every point a killed bridge had queued", async () => {
    const dir = tempDir();
    const file = writeConfig(
      dir,
      `queue:\n  durability: always\nadapters:\n  gen:\n    type: testseq\n    count: 3000\n    batch: 100\n    interval: 1ms\n`,
    );
    const first = spawnChild(["hold", file]);
    await first.waitForLine((line) => line === "pending 3000");
    // Wait past the spool's flush interval so every point is on disk, then kill without warning.
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.process.kill("SIGKILL");
    await first.exited;

    const second = spawnChild(["drain", file]);
    const statsLine = await second.waitForLine((line) => line.startsWith("stats "));
    const values = second.lines.filter((l) => l.startsWith("value ")).map((l) => Number(l.split(" ")[1]));
    // The restarted bridge also runs its adapter (3000 new points): the replayed ones come first.
    const replayed = values.slice(0, 3000);
    expect(replayed).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(values.length).toBe(6000);
    const stats = JSON.parse(statsLine.slice(6))["test-src"];
    expect(stats.received).toBe(6000);
    expect(stats.acknowledged).toBe(6000);
    expect(stats.pending).toBe(0);
  }, 60_000);
});
