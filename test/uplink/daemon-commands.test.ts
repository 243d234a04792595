/**
 * Commands through the whole bridge: the real Daemon (its BridgeControl, pipeline and queue) with
 * the real Uplink, driven by the local gateway. Sessions tag points; configure reaches the adapter.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { Daemon } from "../../src/daemon.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import { Uplink } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { registerTestAdapter, writeTestseqConfig } from "../helpers/test-adapter.js";
import { tempDir } from "./helpers.js";

let gateway: Gateway;
let daemon: Daemon;

beforeAll(async () => {
  registerTestAdapter();
  gateway = await startGateway();
  const dir = tempDir();
  const file = writeTestseqConfig(dir, { url: gateway.url, sourceId: "sess", top: ["queue: { durability: memory }"] });
  const { config, problems } = await loadConfig(file);
  expect(problems).toEqual([]);
  const log = new MemoryLogger();
  daemon = new Daemon(config!, {
    log,
    stateDir: join(dir, "state"),
    sinkFactory: (context) =>
      new Uplink({
        options: config!.plexus,
        apiKey: config!.apiKey,
        source: context.queue,
        clock: context.clock,
        log: context.log,
        stateDir: context.stateDir,
        sensors: context.sensors,
        control: context.control,
        agentVersion: "test",
      }),
  });
  await daemon.start();
  await gateway.waitFor(() => gateway.points.length > 0, 10_000, "first points");
});

afterAll(async () => {
  await daemon?.stop();
  await gateway?.close();
});

it("device_auth announces the adapters as sensors", () => {
  expect(gateway.authFrame("sess")!.sensors).toEqual([expect.objectContaining({ name: "gen", prefix: "gen." })]);
});

it("a session started from the dashboard tags the points until it is stopped", async () => {
  gateway.sendCommand("sess", { type: "start_session", source_id: "sess", session_id: "session_42_abc", session_name: "Motor Test" });
  await gateway.waitForMessage((m) => m.message.type === "session_started", 5000);
  const mark = gateway.points.length;
  await gateway.waitFor(() => gateway.points.slice(mark).some((p) => p.session_id === "session_42_abc"), 5000, "session points");
  const tagged = gateway.points.slice(mark).find((p) => p.session_id === "session_42_abc")!;
  expect(tagged.tags).toMatchObject({ session_id: "session_42_abc" });

  gateway.sendCommand("sess", { type: "typed_command", id: "stop-1", command: "stop_session", params: { session_id: "session_42_abc" } });
  await gateway.waitForMessage((m) => m.message.id === "stop-1" && m.message.event === "result", 5000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const afterStop = gateway.points.length;
  await gateway.waitFor(() => gateway.points.length > afterStop + 10, 5000, "more points");
  expect(gateway.points.slice(afterStop + 5).some((p) => p.session_id !== undefined)).toBe(false);
});

it("configure changes a runtime-tunable option, and refuses an invalid value or an option that is not tunable, saying why", async () => {
  gateway.sendCommand("sess", {
    type: "typed_command",
    id: "cfg-1",
    command: "configure",
    params: { sensor: "gen", config: { interval: "5ms" } },
  });
  const ok = await gateway.waitForMessage((m) => m.message.id === "cfg-1" && m.message.event !== "ack", 5000);
  expect(ok.message).toMatchObject({ event: "result", result: { sensor: "gen" } });

  gateway.sendCommand("sess", {
    type: "typed_command",
    id: "cfg-2",
    command: "configure",
    params: { sensor: "gen", config: { interval: "soon" } },
  });
  const bad = await gateway.waitForMessage((m) => m.message.id === "cfg-2" && m.message.event !== "ack", 5000);
  expect(bad.message).toMatchObject({ event: "error", error: expect.stringContaining("interval") });

  gateway.sendCommand("sess", { type: "configure", source_id: "sess", sensor: "gen", config: { batch: 50 } });
  const notTunable = await gateway.waitForMessage((m) => m.message.command === "configure" && m.message.id === undefined, 5000);
  expect(notTunable.message).toMatchObject({ event: "error", error: expect.stringContaining("batch") });
});
