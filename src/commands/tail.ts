/**
 * `plexus-bridge tail [-c FILE] [--format ndjson|table] [--adapter ID]…`: runs the configured
 * adapters and prints their points instead of sending them. Exits when every adapter has
 * finished (replays at their end) or on Ctrl-C.
 */
import { Daemon } from "../daemon.js";
import { type TailFormat, TailSink } from "../tail.js";
import { defaultStateDir } from "../uplink/state.js";
import { EXIT_USAGE, loadOrExit, makeLogger, parseCommonFlags, reloader, untilStopped } from "./shared.js";

const USAGE = "usage: plexus-bridge tail [-c FILE] [--format ndjson|table] [--adapter ID]... [--log-level LEVEL]\n";

export async function runTailCommand(argv: readonly string[]): Promise<number> {
  const flags = parseCommonFlags(argv);
  if (typeof flags === "string") {
    process.stderr.write(`${flags}\n${USAGE}`);
    return EXIT_USAGE;
  }
  let format: TailFormat = process.stdout.isTTY ? "table" : "ndjson";
  const only: string[] = [];
  for (let i = 0; i < flags.rest.length; i++) {
    const arg = flags.rest[i];
    if (arg === "--format" || arg.startsWith("--format=")) {
      const value = arg.includes("=") ? arg.slice(9) : flags.rest[++i];
      if (value !== "ndjson" && value !== "table") {
        process.stderr.write(`--format takes ndjson or table, not ${value}\n${USAGE}`);
        return EXIT_USAGE;
      }
      format = value;
    } else if (arg === "--adapter" || arg.startsWith("--adapter=")) {
      only.push(arg.includes("=") ? arg.slice(10) : flags.rest[++i]);
    } else if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      return 0;
    } else {
      process.stderr.write(`unexpected argument: ${arg}\n${USAGE}`);
      return EXIT_USAGE;
    }
  }
  const config = await loadOrExit(flags.file);
  if (typeof config === "number") return config;
  const unknown = only.filter((id) => !config.adapters.some((a) => a.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`no adapter ${unknown.join(", ")} in ${config.file} (adapters: ${config.adapters.map((a) => a.id).join(", ")})\n`);
    return EXIT_USAGE;
  }
  // tail prints to stdout; its log goes to stderr and stays quiet unless asked.
  const log = makeLogger(config, { ...flags, logLevel: flags.logLevel ?? "warn" });
  const sinks: TailSink[] = [];
  const daemon: Daemon = new Daemon(config, {
    log,
    stateDir: config.stateDir ?? defaultStateDir(),
    queueOverride: { durability: "memory", when_full: "block" },
    onlyAdapters: only.length > 0 ? only : undefined,
    sinkFactory: (context) => {
      const sink = new TailSink(context, format, process.stdout, (origin) => daemon.pipeline.route(origin)?.id ?? "");
      sinks.push(sink);
      return sink;
    },
  });
  const { stopped, finish, start } = untilStopped(daemon, log, reloader(flags.file, daemon, log));
  void daemon.allFinished().then(async () => {
    for (const sink of sinks) await sink.idle();
    finish(0);
  });
  await start();
  const code = await stopped;
  await daemon.stop();
  return code;
}
