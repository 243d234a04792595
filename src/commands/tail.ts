/**
 * `plexus-bridge tail [-c FILE] [--format ndjson|table] [--adapter ID]… [--once | --count N]
 * [--duration D]`: runs the configured adapters and prints their points instead of sending them.
 * Exits when every adapter has finished (replays at their end), when --once, --count or
 * --duration is satisfied, or on Ctrl-C.
 */
import { oneOf, parseCommandArgs, UsageError, usageFailure } from "../cli-args.js";
import { parseDuration } from "../config/units.js";
import { Daemon } from "../daemon.js";
import { type TailFormat, TailSelection, TailSink } from "../tail.js";
import { defaultStateDir } from "../uplink/state.js";
import { COMMON_OPTIONS, commonFlags, EXIT_USAGE, loadOrExit, makeLogger, reloader, untilStopped } from "./shared.js";

const USAGE = `usage: plexus-bridge tail [-c FILE] [--format ndjson|table] [--adapter ID]... [--once | --count N] [--duration D] [--log-level LEVEL]

  --once        print the first value of every metric, then exit: once no new metric has
                appeared for 2 s, or with --duration at its end (for slow messages)
  --count N     exit after N points
  --duration D  exit after D (e.g. 10s, 1m)
`;

/** --once: how long without a new metric means every metric has shown up (a poll cycle or a CAN period). */
const ONCE_SETTLE_MS = 2000;

const OPTIONS = {
  ...COMMON_OPTIONS,
  format: { type: "string" },
  adapter: { type: "string", multiple: true },
  once: { type: "boolean" },
  count: { type: "string" },
  duration: { type: "string" },
} as const;

export async function runTailCommand(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof tailArgs>;
  try {
    parsed = tailArgs(argv);
  } catch (error) {
    return usageFailure(error, USAGE);
  }
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { flags, format, only, once, count, durationMs } = parsed;
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
  const selection = new TailSelection(once, count);
  const daemon: Daemon = new Daemon(config, {
    log,
    stateDir: config.stateDir ?? defaultStateDir(),
    queueOverride: { durability: "memory", when_full: "block" },
    onlyAdapters: only.length > 0 ? only : undefined,
    sinkFactory: (context) => {
      const sink = new TailSink(context, format, process.stdout, (origin) => daemon.pipeline.route(origin)?.id ?? "", selection);
      sinks.push(sink);
      return sink;
    },
  });
  const { stopped, finish, start, release } = untilStopped(daemon, log, reloader(flags.file, daemon, log));
  const timers: NodeJS.Timeout[] = [];
  void daemon.allFinished().then(async () => {
    for (const sink of sinks) await sink.idle();
    finish(0);
  });
  void selection.enough.then(() => finish(0));
  if (durationMs !== undefined) timers.push(setTimeout(() => finish(0), durationMs));
  if (once && durationMs === undefined) {
    timers.push(
      setInterval(() => {
        if (selection.lastNew > 0 && performance.now() - selection.lastNew >= ONCE_SETTLE_MS) finish(0);
      }, 100),
    );
  }
  await start();
  const code = await stopped;
  for (const timer of timers) clearTimeout(timer);
  await daemon.stop();
  release();
  return code;
}

function tailArgs(argv: readonly string[]) {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.help) return "help" as const;
  const flags = commonFlags(values);
  const format: TailFormat = oneOf("format", values.format, ["ndjson", "table"] as const) ?? (process.stdout.isTTY ? "table" : "ndjson");
  let count: number | undefined;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isInteger(count) || count < 1)
      throw new UsageError(`--count takes a whole number of points, at least 1, not ${values.count}`);
  }
  if (values.once && count !== undefined) throw new UsageError("--once and --count do not go together");
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    durationMs = parseDuration(values.duration);
    if (durationMs === undefined) throw new UsageError(`--duration takes a duration like 10s or 1m, not ${values.duration}`);
  }
  return { flags, format, only: values.adapter ?? [], once: values.once === true, count, durationMs };
}
