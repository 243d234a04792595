/**
 * A bridge process for tests that need a real process (signals, SIGKILL, uncaught exceptions):
 *   cli ARGS…       the real CLI, with the test-only adapter registered
 *   hold CONFIG     the daemon with a sink that never delivers (the uplink is "down"); prints
 *                   `pending N` lines as the queue fills
 *   drain CONFIG    the daemon with a sink that acknowledges everything; prints each value as
 *                   `value N` and exits once nothing has arrived for 1 s
 */
import { main } from "../../src/cli.js";
import { loadConfig } from "../../src/config/index.js";
import { Daemon, type Sink, type SinkContext } from "../../src/daemon.js";
import { ConsoleLogger } from "../../src/log.js";
import { availableWithin } from "../../src/pipeline/batch-source.js";
import { registerTestAdapter } from "./test-adapter.js";

registerTestAdapter();
const [mode, ...args] = process.argv.slice(2);

async function daemonWith(file: string, sink: (context: SinkContext) => Sink): Promise<Daemon> {
  const { config, problems } = await loadConfig(file);
  if (!config) throw new Error(JSON.stringify(problems));
  const daemon = new Daemon(config, { log: new ConsoleLogger({ level: "info" }), stateDir: config.stateDir!, sinkFactory: sink });
  await daemon.start();
  return daemon;
}

if (mode === "cli") {
  process.exitCode = await main(args);
  setTimeout(() => process.exit(), 2000).unref();
} else if (mode === "hold") {
  let context: SinkContext | undefined;
  await daemonWith(args[0], (c) => {
    context = c;
    return { start: () => c.queue.setUplinkUp(false), stop: async () => {} };
  });
  setInterval(() => process.stdout.write(`pending ${context!.queue.pending}\n`), 50);
} else if (mode === "drain") {
  let last = Date.now();
  const daemon = await daemonWith(args[0], (c) => {
    let stopped = false;
    return {
      start() {
        c.queue.setUplinkUp(true);
        void (async () => {
          while (!stopped) {
            await availableWithin(c.queue, 100);
            for (let batch = c.queue.take(1000, 1e9); batch; batch = c.queue.take(1000, 1e9)) {
              process.stdout.write(batch.points.map((p) => `value ${p.value} ${p.tags?.clock ?? "synced"}\n`).join(""));
              c.queue.ack(batch);
              last = Date.now();
            }
          }
        })();
      },
      async stop() {
        stopped = true;
      },
    };
  });
  const timer = setInterval(async () => {
    if (Date.now() - last < 1000) return;
    clearInterval(timer);
    await daemon.stop();
    process.stdout.write(`stats ${JSON.stringify(daemon.stats().sources)}\n`);
    process.exit(0);
  }, 100);
}
