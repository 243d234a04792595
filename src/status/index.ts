/**
 * Operations around a running daemon: the status collector, the status server and the bridge's
 * own telemetry, as the config asks. `run` starts them after the daemon and closes them after it
 * stopped, so /health says "stopping" while the queue drains.
 */
import type { BridgeConfig } from "../config/index.js";
import type { Daemon } from "../daemon.js";
import type { Logger } from "../log.js";
import { describeError } from "../supervisor.js";
import { type CollectorOptions, StatusCollector } from "./collector.js";
import { type StatusServer, startStatusServer } from "./server.js";
import { startTelemetry } from "./telemetry.js";

export interface Operations {
  collector?: StatusCollector;
  server?: StatusServer;
  close(): Promise<void>;
}

export async function startOperations(
  daemon: Daemon,
  config: BridgeConfig,
  log: Logger,
  version: string,
  tuning: Omit<CollectorOptions, "version"> = {},
): Promise<Operations> {
  const status = config.status ?? false;
  const telemetry = config.telemetry ?? false;
  if (status === false && telemetry === false) return { close: async () => {} };
  const collector = new StatusCollector(daemon, { ...tuning, version });
  collector.start();
  let server: StatusServer | undefined;
  if (status !== false) {
    try {
      server = await startStatusServer({
        host: status.host,
        port: status.port,
        token: status.token,
        secrets: [config.apiKey],
        collector,
        log: log.child("status"),
      });
      log.info(`status server on ${server.url} (/health, /metrics, live page)`);
    } catch (error) {
      // The data path matters more than the view of it: run on, and say why the page is missing.
      log.error(`status server not started on ${status.listen}: ${describeError(error)}; the bridge runs without it`);
    }
  }
  const sender =
    telemetry === false
      ? undefined
      : startTelemetry({
          pipeline: daemon.pipeline,
          sourceId: config.plexus.source_id,
          intervalMs: telemetry.intervalMs,
          snapshot: () => collector.latest,
          stopping: () => daemon.isStopping,
        });
  return {
    collector,
    server,
    async close() {
      sender?.stop();
      collector.stop();
      await server?.close();
    },
  };
}
