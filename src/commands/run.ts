/**
 * `plexus-bridge run [-c FILE]`: the daemon. Exit 0 after a clean stop, 78 for a bad config,
 * 70 when the core itself failed (systemd restarts it; the spool keeps what was queued).
 */
import { packageVersion } from "../cli.js";
import { Daemon } from "../daemon.js";
import { startOperations } from "../status/index.js";
import { describeError } from "../supervisor.js";
import { SystemdNotifier } from "../systemd/notifier.js";
import { type ServiceReporter, startServiceReporter } from "../systemd/service-reporter.js";
import { defaultStateDir } from "../uplink/index.js";
import { uplinkSinks } from "../uplink/sink.js";
import { EXIT_SOFTWARE, EXIT_USAGE, loadOrExit, makeLogger, parseCommonFlags, reloader, untilStopped } from "./shared.js";

const USAGE = "usage: plexus-bridge run [-c FILE] [--log-format text|json] [--log-level LEVEL]\n";

export interface RunOptions {
  /** Stop by itself after this long, as a clean stop (demo --duration); no signal involved. */
  durationMs?: number;
}

export async function runRunCommand(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const flags = parseCommonFlags(argv);
  if (typeof flags === "string" || flags.rest.length > 0) {
    if (typeof flags !== "string" && (flags.rest.includes("-h") || flags.rest.includes("--help"))) {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`${typeof flags === "string" ? flags : `unexpected argument: ${flags.rest[0]}`}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const config = await loadOrExit(flags.file);
  if (typeof config === "number") return config;
  const log = makeLogger(config, flags);
  const stateDir = config.stateDir ?? defaultStateDir();
  const agentVersion = packageVersion();
  const daemon = new Daemon(config, { log, stateDir, sinkFactory: uplinkSinks(config, stateDir, agentVersion) });
  log.info(`plexus-bridge ${agentVersion} starting: ${config.file}, state in ${stateDir}`);
  const systemd = await SystemdNotifier.fromEnv(log);
  let reporter: ServiceReporter | undefined;
  const { stopped, start, finish } = untilStopped(daemon, log, async () => {
    systemd?.reloading();
    try {
      await reloader(flags.file, daemon, log, (refusal) => reporter?.note(refusal))();
    } finally {
      // Whatever happened, systemd (Type=notify-reload) waits for READY=1 to end the reload job.
      systemd?.ready(reporter?.report());
    }
  });
  try {
    await start();
  } catch (error) {
    log.error(`could not start: ${describeError(error)}`);
    await daemon.stop();
    return EXIT_SOFTWARE;
  }
  const operations = await startOperations(daemon, config, log, agentVersion);
  if (systemd) {
    reporter = startServiceReporter(systemd, () => daemon.stats(), log);
    systemd.ready(reporter.report());
  }
  const { durationMs } = options;
  const timer =
    durationMs === undefined
      ? undefined
      : setTimeout(() => {
          log.info(`${durationMs / 1000} s elapsed (--duration): stopping`);
          finish(0);
        }, durationMs);
  const code = await stopped;
  clearTimeout(timer);
  reporter?.stop();
  systemd?.stopping();
  await daemon.stop();
  await operations.close();
  systemd?.close();
  log.info("stopped");
  return code;
}
