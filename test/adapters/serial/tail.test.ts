/**
 * The serial adapter through the real core: `plexus-bridge tail` on a finite replay of the ArduSub
 * NMEA log validates, prefixes and prints every point, then exits once the replay is finished.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/child.js";

describe("serial adapter under plexus-bridge tail", () => {
  it("prints the replayed log's points with GPS time and exits at its end", () => {
    const dir = mkdtempSync(join(tmpdir(), "serial-tail-"));
    try {
      const config = join(dir, "config.yaml");
      const capture = join(repoRoot, "test/fixtures/serial/ardusub/nmea_log.txt");
      writeFileSync(
        config,
        `plexus: { source_id: boat }\nadapters:\n  gps: { type: serial, file: ${JSON.stringify(capture)}, speed: max, time_source: gps }\n`,
      );
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", join(repoRoot, "src/cli.ts"), "tail", "-c", config, "--format", "ndjson"],
        {
          cwd: repoRoot,
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const points = run.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { metric: string; value: unknown; class: string; timestamp: number; adapter: string });
      const latitudes = points.filter((p) => p.metric === "gps.rmc.latitude");
      expect(latitudes).toHaveLength(129);
      expect(latitudes[0]).toMatchObject({ class: "metric", adapter: "gps", timestamp: Date.parse("2023-09-01T22:56:44.620Z") });
      expect(points.filter((p) => p.metric === "gps.gga.altitude")).toHaveLength(16);
      expect(points.every((p) => p.metric.startsWith("gps."))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
