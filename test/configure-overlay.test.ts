/**
 * Dashboard `configure` changes kept in the state dir: through a restart (a new Daemon on the
 * same state dir) and a reload, and cleared, with a log line, once the adapter's YAML changes.
 * The real Daemon, config loader and test adapter; the sink only holds the queue (no uplink needed).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { Daemon } from "../src/daemon.js";
import { MemoryLogger } from "./helpers/adapter-harness.js";
import { registerTestAdapter } from "./helpers/test-adapter.js";
import { tempDir } from "./pipeline/queue-helpers.js";

registerTestAdapter();
const running: Daemon[] = [];
afterEach(async () => {
  for (const daemon of running.splice(0)) await daemon.stop();
});

function writeConfig(file: string, label: string): void {
  writeFileSync(
    file,
    `plexus:\n  source_id: overlay-test\nadapters:\n  gen:\n    type: testseq\n    interval: 10ms\n    label: ${label}\n`,
  );
}

async function startDaemon(file: string, stateDir: string, log: MemoryLogger): Promise<Daemon> {
  const { config } = await loadConfig(file);
  if (!config) throw new Error(`bad test config ${file}`);
  const daemon = new Daemon(config, {
    log,
    stateDir,
    queueOverride: { durability: "memory" },
    sinkFactory: (c) => ({ start: () => c.queue.setUplinkUp(false), stop: async () => {} }),
  });
  running.push(daemon);
  await daemon.start();
  return daemon;
}

const intervalOf = (daemon: Daemon) => daemon.adapters().find((a) => a.id === "gen")?.options.interval;
const messages = (log: MemoryLogger) => log.lines.map((l) => `${l.scope}: ${l.message}`);

describe("configure changes from the dashboard", () => {
  it("survive a restart and a reload, and are cleared (logged) when the adapter's YAML changes", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    const stateDir = join(dir, "state");
    writeConfig(file, "a");

    const first = await startDaemon(file, stateDir, new MemoryLogger());
    const reply = await first.configureAdapter("gen", { interval: "50ms" });
    expect(reply).toMatchObject({ applied: { interval: 50 }, persisted: true });
    expect(reply.note).toBe(`kept across reloads and restarts until adapters.gen changes in ${file}`);
    expect(first.stats().configure_overlay).toMatchObject({ gen: { changes: { interval: 50 } } });
    await first.stop();
    running.length = 0;

    // A restart: the YAML still says 10ms, the dashboard's 50ms wins.
    const log = new MemoryLogger();
    const second = await startDaemon(file, stateDir, log);
    expect(intervalOf(second)).toBe(50);
    expect(messages(log)).toContainEqual(
      expect.stringMatching(/^configure: gen: keeping the dashboard's configure changes of .*: interval=50$/),
    );

    // A reload with the same YAML keeps it.
    const same = await loadConfig(file);
    expect((await second.reload(same.config!)).restarted).toEqual([]);
    expect(intervalOf(second)).toBe(50);

    // The YAML of gen changes: the YAML wins, the entry is gone, and the log says so.
    writeConfig(file, "b");
    const edited = await loadConfig(file);
    expect((await second.reload(edited.config!)).restarted).toEqual(["gen"]);
    expect(intervalOf(second)).toBe(10);
    expect(second.stats().configure_overlay).toEqual({});
    expect(messages(log)).toContain("configure: gen: its YAML changed, so the dashboard's configure changes (interval=50) are cleared");
    expect(JSON.parse(readFileSync(join(stateDir, "configure-overlay.json"), "utf8"))).toEqual({});
  });

  it("a state dir it cannot write: the change applies and the reply says it is not kept", async () => {
    const dir = tempDir();
    const file = join(dir, "config.yaml");
    writeConfig(file, "a");
    const blocker = join(dir, "not-a-dir");
    writeFileSync(blocker, "a file where the state dir should be\n");
    const daemon = await startDaemon(file, blocker, new MemoryLogger());
    const reply = await daemon.configureAdapter("gen", { interval: "20ms" });
    expect(reply).toMatchObject({ applied: { interval: 20 }, persisted: false });
    expect(String(reply.note)).toMatch(/^not saved \((EEXIST|ENOTDIR).*\): applies until the next restart$/);
    expect(intervalOf(daemon)).toBe(20);
  });
});
