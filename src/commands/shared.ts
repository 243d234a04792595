/** What `run` and `tail` share: flags, config loading with exit 78, the logger, signals. */
import { existsSync } from "node:fs";
import { oneOf } from "../cli-args.js";
import {
  type BridgeConfig,
  CONFIG_ENV_VAR,
  DEFAULT_CONFIG_PATH,
  defaultConfigPath,
  EXIT_CONFIG,
  formatProblems,
  type LoadOptions,
  loadConfig,
} from "../config/index.js";
import type { Daemon } from "../daemon.js";
import { ConsoleLogger, type Logger, type LogLevel } from "../log.js";
import { describeError } from "../supervisor.js";
import { SerialReloads } from "./serial-reloads.js";

export { EXIT_USAGE } from "../cli-args.js";
export const EXIT_SOFTWARE = 70;

export interface CommonFlags {
  file: string;
  logFormat?: "text" | "json";
  logLevel?: LogLevel;
}

/** The flags run, tail and demo share, for parseCommandArgs. */
export const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** -c (else $PLEXUS_BRIDGE_CONFIG, else the default path), --log-format and --log-level, checked; throws UsageError. */
export function commonFlags(values: { config?: string; "log-format"?: string; "log-level"?: string }): CommonFlags {
  return {
    file: defaultConfigPath(process.env, values.config),
    logFormat: oneOf("log-format", values["log-format"], ["text", "json"] as const),
    logLevel: oneOf("log-level", values["log-level"], ["debug", "info", "warn", "error"] as const),
  };
}

/** Loads and validates; on problems prints them all and returns the exit code. */
export async function loadOrExit(file: string, options: LoadOptions = {}): Promise<BridgeConfig | number> {
  const { config, problems } = await loadConfig(file, options);
  if (!config || problems.length > 0) {
    process.stderr.write(`${formatProblems(problems)}\n`);
    process.stderr.write(`${problems.length} problem(s) in ${file}; nothing was started.\n`);
    // Someone who typed the bare command has not chosen this path: say how to choose one.
    if (file === DEFAULT_CONFIG_PATH && !existsSync(file))
      process.stderr.write(
        `No config at the default path: name one with -c FILE or $${CONFIG_ENV_VAR} (an example: config/example.yaml in the package); commands: plexus-bridge --help\n`,
      );
    return EXIT_CONFIG;
  }
  return config;
}

export function makeLogger(config: BridgeConfig, flags: CommonFlags): ConsoleLogger {
  return new ConsoleLogger({
    level: flags.logLevel ?? config.log.level,
    format: flags.logFormat ?? config.log.format,
    secrets: config.apiKey ? [config.apiKey] : [],
  });
}

/**
 * SIGTERM/SIGINT stop the daemon (a second one exits at once); SIGHUP reloads; an exception
 * that escapes an adapter restarts that adapter, one that escapes the core stops the bridge
 * (systemd restarts it, and the spool keeps what was queued).
 */
export function installProcessHandlers(
  daemon: Daemon,
  log: Logger,
  onStop: (code: number) => void,
  reload?: () => Promise<void>,
): () => void {
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) {
      log.warn("second signal: exiting now");
      process.exit(code === 0 ? 130 : code);
    }
    stopping = true;
    onStop(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log.info(`${signal}: stopping`);
    stop(0);
  };
  const onHup = () => {
    if (!reload) return;
    log.info("SIGHUP: reloading the config");
    reload().catch((error) => log.error(`reload failed: ${describeError(error)}`));
  };
  const onUncaught = (error: unknown) => {
    if (daemon.handleUncaught(error)) return;
    log.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    // Already stopping: let the queue finish draining and spooling rather than die half-way.
    if (!stopping) stop(EXIT_SOFTWARE);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGHUP", onHup);
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onHup);
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUncaught);
  };
}

/**
 * SIGHUP: re-read and validate; on problems keep running as before and log them all.
 * `outcome` hears the refusal (systemd's status line shows it), or undefined once applied.
 */
export function reloader(
  file: string,
  daemon: Daemon,
  log: Logger,
  options: LoadOptions = {},
  outcome?: (refusal: string | undefined) => void,
): () => Promise<void> {
  return async () => {
    const { config, problems } = await loadConfig(file, options);
    if (!config || problems.length > 0) {
      for (const line of formatProblems(problems).split("\n")) log.error(line);
      log.error(`reload refused: ${problems.length} problem(s) in ${file}; still running the previous config`);
      outcome?.(`reload refused: ${problems.length} problem(s) in ${file}`);
      return;
    }
    await daemon.reload(config);
    outcome?.(undefined);
  };
}

/**
 * Resolves with the exit code once a signal or a core failure asks the bridge to stop (see
 * installProcessHandlers); `finish` ends the wait from inside (tail at the end of its replays).
 * `start` starts the daemon; SIGHUP reloads wait for it and for each other (SerialReloads).
 * The handlers stay until `release()`, which the command calls once the daemon has stopped: while
 * the queue drains, an adapter's stray exception must still restart nothing and kill nothing, and
 * a second SIGTERM must still mean "exit now".
 */
export function untilStopped(
  daemon: Daemon,
  log: Logger,
  reload?: () => Promise<void>,
): { stopped: Promise<number>; finish(code: number): void; start(): Promise<void>; release(): void } {
  const reloads = new SerialReloads();
  let finish: (code: number) => void = () => {};
  const release = installProcessHandlers(daemon, log, (code) => finish(code), reload && (() => reloads.run(reload)));
  const stopped = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const start = async () => {
    try {
      await daemon.start();
      reloads.started(true);
    } catch (error) {
      reloads.started(false);
      throw error;
    }
  };
  return { stopped, finish: (code) => finish(code), start, release };
}
