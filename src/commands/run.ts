/**
 * `plexus-bridge run [-c FILE]`: the daemon. Exit 0 after a clean stop, 78 for a bad config,
 * 70 when the core itself failed (systemd restarts it; the spool keeps what was queued).
 */
import { parseCommandArgs, usageFailure } from "../cli-args.js";
import { Daemon } from "../daemon.js";
import { startOperations } from "../status/index.js";
import { describeError } from "../supervisor.js";
import { SystemdNotifier } from "../systemd/notifier.js";
import { type ServiceReporter, startServiceReporter } from "../systemd/service-reporter.js";
import { defaultStateDir } from "../uplink/index.js";
import { uplinkSinks } from "../uplink/sink.js";
import { packageVersion } from "../version.js";
import { COMMON_OPTIONS, type CommonFlags, commonFlags, EXIT_SOFTWARE, loadOrExit, makeLogger, reloader, untilStopped } from "./shared.js";

/** The bridge sends to Plexus: it needs an API key (tail does not). */
const SENDS = { needsApiKey: true };

const USAGE = "usage: plexus-bridge run [-c FILE] [--log-format text|json] [--log-level LEVEL]\n";

export interface RunOptions {
  /** Stops the bridge as SIGTERM would; its reason is logged ("<reason>: stopping"). */
  stop?: AbortSignal;
}

export async function runRunCommand(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  let flags: CommonFlags;
  try {
    const { values } = parseCommandArgs(argv, COMMON_OPTIONS);
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    flags = commonFlags(values);
  } catch (error) {
    return usageFailure(error, USAGE);
  }
  const config = await loadOrExit(flags.file, SENDS);
  if (typeof config === "number") return config;
  const log = makeLogger(config, flags);
  const stateDir = config.stateDir ?? defaultStateDir();
  const agentVersion = packageVersion();
  const daemon = new Daemon(config, { log, stateDir, sinkFactory: uplinkSinks(config, stateDir, agentVersion) });
  log.info(`plexus-bridge ${agentVersion} starting: ${config.file}, state in ${stateDir}`);
  const systemd = await SystemdNotifier.fromEnv(log);
  let reporter: ServiceReporter | undefined;
  const { stopped, start, finish, release } = untilStopped(daemon, log, async () => {
    systemd?.reloading();
    try {
      await reloader(flags.file, daemon, log, SENDS, (refusal) => reporter?.note(refusal))();
    } finally {
      // Whatever happened, systemd (Type=notify-reload) waits for READY=1 to end the reload job.
      systemd?.ready(reporter?.report());
    }
  });
  options.stop?.addEventListener(
    "abort",
    () => {
      log.info(`${String(options.stop?.reason)}: stopping`);
      finish(0);
    },
    { once: true },
  );
  try {
    await start();
  } catch (error) {
    log.error(`could not start: ${describeError(error)}`);
    await daemon.stop();
    release();
    return EXIT_SOFTWARE;
  }
  const operations = await startOperations(daemon, config, log, agentVersion);
  if (systemd) {
    reporter = startServiceReporter(systemd, () => daemon.stats(), log);
    systemd.ready(reporter.report());
  }
  const code = await stopped;
  reporter?.stop();
  systemd?.stopping();
  await daemon.stop();
  release();
  await operations.close();
  systemd?.close();
  log.info("stopped");
  return code;
}
