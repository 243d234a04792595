/**
 * plexus-bridge: run | check | schema | tail | gateway | adapters | demo | status | version.
 * Each command lives in its own module and is imported only when used, so `check` never loads
 * the uplink and `gateway` never loads an adapter.
 */
import { fileURLToPath } from "node:url";
import { EXIT_USAGE } from "./cli-args.js";
import { packageVersion } from "./version.js";

const USAGE = `usage: plexus-bridge <command> [options]

commands:
  run       [-c FILE]   run the bridge (the default command)
  check     [-c FILE]   validate the config and the files it names; exit 0 or 78
  schema    [--write|--check]   print the config's JSON Schema
  tail      [-c FILE] [--format ndjson|table] [--adapter ID] [--once | --count N] [--duration D]
                        print points instead of sending them
  gateway   [options]   run a local Plexus-compatible gateway (tests, demos, commissioning)
  demo      [--duration D]   the local gateway plus the bridge on replayed real captures
  status    [--url U] [--json]   ask a running bridge how it is (exit 1 when degraded)
  adapters              list the adapter types
  install-service [--instance NAME] [--root DIR] [--dry-run]   install the systemd unit, /etc/plexus-bridge, check
  version               print the version

The config is -c FILE, else $PLEXUS_BRIDGE_CONFIG, else /etc/plexus-bridge/config.yaml.
Common options: --log-format text|json, --log-level debug|info|warn|error. Usage errors exit 64.
`;

type Command = (argv: string[]) => Promise<number>;

/** One line per command; each module loads only when its command runs. */
const COMMANDS: Record<string, Command> = {
  run: async (argv) => (await import("./commands/run.js")).runRunCommand(argv),
  check: async (argv) => (await import("./config/index.js")).runCheckCommand(argv),
  schema: async (argv) => (await import("./config/index.js")).runSchemaCommand(argv),
  tail: async (argv) => (await import("./commands/tail.js")).runTailCommand(argv),
  gateway: async (argv) => (await import("./gateway/cli.js")).runGatewayCommand(argv),
  demo: async (argv) => (await import("./commands/demo.js")).runDemoCommand(argv),
  status: async (argv) => (await import("./commands/status.js")).runStatusCommand(argv),
  adapters: async (argv) => (await import("./commands/adapters.js")).runAdaptersCommand(argv),
  "install-service": async (argv) => (await import("./commands/install-service.js")).runInstallServiceCommand(argv),
  version: async () => printVersion(),
};

const ALIASES: Record<string, string> = { "--version": "version", "-V": "version" };

async function printVersion(): Promise<number> {
  process.stdout.write(`plexus-bridge ${packageVersion()}\n`);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first = "run", ...rest] = argv;
  if (first === "help" || first === "--help" || first === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  const name = ALIASES[first] ?? first;
  if (Object.hasOwn(COMMANDS, name)) return COMMANDS[name](rest);
  // `plexus-bridge -c FILE` is `run -c FILE`.
  if (first.startsWith("-")) return COMMANDS.run([...argv]);
  process.stderr.write(`unknown command: ${first}\n\n${USAGE}`);
  return EXIT_USAGE;
}

// `tsx src/cli.ts …` runs it directly; bin/plexus-bridge.js imports main() instead.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (error) => {
      process.stderr.write(`plexus-bridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
