/** Commissioning offline: `plexus-bridge tail` on an hcidump capture, as a site would with its own recording. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnChild } from "../../helpers/child.js";
import { tempDir } from "../../pipeline/queue-helpers.js";

const CAPTURE = fileURLToPath(new URL("../../fixtures/ble/hcidump-3.x.txt", import.meta.url));

describe("plexus-bridge tail with an hcidump replay", () => {
  it("prints the RuuviTag's readings under the adapter and device names, then exits when the capture ends", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      `plexus:\n  source_id: ble-tail\nstate_dir: ${join(dir, "state")}\nadapters:\n  cold_room:\n    type: ble\n    interface: hcidump\n    file: ${CAPTURE}\n    speed: max\n    devices: [{ address: "ce:d6:05:f5:17:aa", name: freezer_1 }]\n`,
    );
    const child = spawnChild(["cli", "tail", "-c", file, "--format", "ndjson"]);
    expect(await child.exited).toBe(0);
    const points = child.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const temperature = points.find((p) => p.metric === "cold_room.freezer_1.temperature");
    expect(temperature).toMatchObject({ class: "metric", adapter: "cold_room", tags: { unit: "°C" } });
    expect(new Set(points.map((p) => p.metric))).toContain("cold_room.freezer_1.battery_voltage");
  });
});
