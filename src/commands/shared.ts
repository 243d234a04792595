/** What `run` and `tail` share: flags, config loading with exit 78, the logger, signals. */
import { existsSync } from "node:fs";
import {
  type BridgeConfig,
  CONFIG_ENV_VAR,
  DEFAULT_CONFIG_PATH,
  defaultConfigPath,
  EXIT_CONFIG,
  formatProblems,
  loadConfig,
  takeConfigFlag,
} from "../config/index.js";
import type { Daemon } from "../daemon.js";
import { ConsoleLogger, type Logger, type LogLevel } from "../log.js";
import { describeError } from "../supervisor.js";
import { SerialReloads } from "./serial-reloads.js";

export const EXIT_USAGE = 64;
export const EXIT_SOFTWARE = 70;

export interface CommonFlags {
  file: string;
  logFormat?: "text" | "json";
  logLevel?: LogLevel;
  rest: string[];
}

/** Parses -c, --log-format and --log-level; the rest is the command's own. */
export function parseCommonFlags(argv: readonly string[]): CommonFlags | string {
  const { file, rest, error } = takeConfigFlag(argv);
  if (error) return error;
  const flags: CommonFlags = { file: defaultConfigPath(process.env, file), rest: [] };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [name, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? rest[++i];
    if (name === "--log-format") {
      const v = value();
      if (v !== "text" && v !== "json") return `--log-format takes text or json, not ${v}`;
      flags.logFormat = v;
    } else if (name === "--log-level") {
      const v = value();
      if (!["debug", "info", "warn", "error"].includes(v)) return `--log-level takes debug, info, warn or error, not ${v}`;
      flags.logLevel = v as LogLevel;
    } else {
      flags.rest.push(arg);
    }
  }
  return flags;
}

/** Loads and validates; on problems prints them all and returns the exit code. */
export async function loadOrExit(file: string): Promise<BridgeConfig | number> {
  const { config, problems } = await loadConfig(file);
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
    stop(EXIT_SOFTWARE);
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
export function reloader(file: string, daemon: Daemon, log: Logger, outcome?: (refusal: string | undefined) => void): () => Promise<void> {
  return async () => {
    const { config, problems } = await loadConfig(file);
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
 */
export function untilStopped(
  daemon: Daemon,
  log: Logger,
  reload?: () => Promise<void>,
): { stopped: Promise<number>; finish(code: number): void; start(): Promise<void> } {
  const reloads = new SerialReloads();
  let finish: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    const uninstall = installProcessHandlers(daemon, log, (code) => finish(code), reload && (() => reloads.run(reload)));
    finish = (code) => {
      uninstall();
      resolve(code);
    };
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
  return { stopped, finish: (code) => finish(code), start };
}
