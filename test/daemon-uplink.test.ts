import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "../src/gateway/server.js";
import { spawnChild, waitFor } from "./helpers/child.js";
import { writeTestseqConfig } from "./helpers/test-adapter.js";
import { tempDir } from "./pipeline/queue-helpers.js";

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

describe("run against the local gateway", () => {
  it("SIGTERM stops the adapters and delivers what is queued before exiting", async () => {
    // 150 ms one-way latency: every ping barrier takes 300 ms, so points are still queued at SIGTERM.
    gateway = await startGateway({ latencyMs: 150 });
    const dir = tempDir();
    const file = writeTestseqConfig(dir, {
      url: gateway.url,
      sourceId: "drain-test",
      top: ["shutdown_timeout: 20s"],
      gen: ["count: 20000", "batch: 1000", "interval: 1ms"],
    });
    const child = spawnChild(["cli", "run", "-c", file]);
    await waitFor(() => child.stderr.some((l) => l.includes("gen: finished")), 20_000, "the adapter to finish");
    await waitFor(() => (gateway?.summary().get("drain-test")?.points ?? 0) > 0, 20_000, "the first delivery");
    const storedAtSigterm = gateway.summary().get("drain-test")?.points ?? 0;
    child.process.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(storedAtSigterm).toBeLessThan(20_000);
    const values = gateway.points.filter((p) => p.metric === "gen.seq").map((p) => p.value as number);
    expect(new Set(values).size).toBe(20_000);
    expect(child.stderr.join("\n")).toMatch(/stopped: drain-test acknowledged=20000 pending=0 dropped=0 invalid=0/);
    expect(child.stderr.join("\n")).not.toContain("plx_test0000");
  }, 60_000);
});
