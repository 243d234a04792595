/**
 * An in-process bridge for the status tests: the real Daemon and Uplink against the local
 * gateway, test adapters, and the status server and telemetry as `run` starts them (port 0).
 */
import { join } from "node:path";
import { Daemon } from "../../src/daemon.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import { type Operations, startOperations } from "../../src/status/index.js";
import { uplinkSinks } from "../../src/uplink/sink.js";
import { ConfigFolder } from "../config/config-fixture.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";
import { waitFor } from "../helpers/child.js";
import { registerTestAdapter } from "../helpers/test-adapter.js";

export const API_KEY = "plx_statustest0000000000000000000secret";
export const STATUS_TOKEN = "status-token-0123456789-secret";

export interface RunningBridge {
  daemon: Daemon;
  operations: Operations;
  gateway: Gateway;
  /** The status server's base URL. */
  url: string;
  log: MemoryLogger;
  /** Waits until the gateway acknowledged at least `n` points to the bridge, then takes a status sample. */
  acknowledged(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `sections` is YAML added after plexus: (status:, telemetry:, adapters:…). */
export async function startBridge(sections: string, graceS = 0): Promise<RunningBridge> {
  registerTestAdapter();
  const gateway = await startGateway({ host: "127.0.0.1", port: 0 });
  const folder = new ConfigFolder();
  folder.write("api_key", `${API_KEY}\n`);
  folder.write("status_token", `${STATUS_TOKEN}\n`);
  const yaml = [
    "plexus:",
    "  api_key: !file api_key",
    "  source_id: status-test",
    `  url: ${gateway.url}`,
    "  frame_interval: 5ms",
    `state_dir: ${join(folder.dir, "state")}`,
    "queue: {durability: memory}",
    sections,
  ].join("\n");
  const { config, problems } = await folder.load(yaml);
  if (!config) throw new Error(`config problems: ${JSON.stringify(problems)}`);
  const log = new MemoryLogger();
  const stateDir = join(folder.dir, "state");
  const daemon = new Daemon(config, { log, stateDir, sinkFactory: uplinkSinks(config, stateDir, "test") });
  await daemon.start();
  const operations = await startOperations(daemon, config, log, "0.0.0-test", { graceS });
  return {
    daemon,
    operations,
    gateway,
    url: operations.server?.url ?? "",
    log,
    async acknowledged(n) {
      await waitFor(() => (daemon.stats().sources["status-test"]?.acknowledged ?? 0) >= n, 15_000, `${n} points acknowledged`);
      operations.collector?.tick();
    },
    async close() {
      await daemon.stop();
      await operations.close();
      await gateway.close();
      folder.remove();
    },
  };
}
