/**
 * plexus-bridge: run | check | schema | tail | gateway | adapters | demo | status | version.
 * Each command lives in its own module and is imported only when used, so `check` never loads
 * the uplink and `gateway` never loads an adapter.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "./package-root.js";

const USAGE = `usage: plexus-bridge <command> [options]

commands:
  run       [-c FILE]   run the bridge (the default command)
  check     [-c FILE]   validate the config and the files it names; exit 0 or 78
  schema    [--write|--check]   print the config's JSON Schema
  tail      [-c FILE] [--format ndjson|table] [--adapter ID]   print points instead of sending them
  gateway   [options]   run a local Plexus-compatible gateway (tests, demos, commissioning)
  demo                  the local gateway plus the bridge on replayed real captures
  status    [--url U] [--json]   ask a running bridge how it is (exit 1 when degraded)
  adapters              list the adapter types
  install-service [--instance NAME] [--root DIR] [--dry-run]   install the systemd unit, /etc/plexus-bridge, check
  version               print the version

The config is -c FILE, else $PLEXUS_BRIDGE_CONFIG, else /etc/plexus-bridge/config.yaml.
Common options: --log-format text|json, --log-level debug|info|warn|error.
`;

export function packageVersion(): string {
  const file = join(packageRoot(), "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command = "run", ...rest] = argv;
  switch (command) {
    case "run":
      return (await import("./commands/run.js")).runRunCommand(rest);
    case "check":
      return (await import("./config/index.js")).runCheckCommand(rest);
    case "schema":
      return (await import("./config/index.js")).runSchemaCommand(rest);
    case "tail":
      return (await import("./commands/tail.js")).runTailCommand(rest);
    case "gateway":
      return (await import("./gateway/cli.js")).runGatewayCommand([...rest]);
    case "status":
      return (await import("./commands/status.js")).runStatusCommand(rest);
    case "demo":
      return (await import("./commands/demo.js")).runDemoCommand(rest);
    case "install-service":
      return (await import("./commands/install-service.js")).runInstallServiceCommand(rest);
    case "adapters":
      return (await import("./commands/adapters.js")).runAdaptersCommand();
    case "version":
    case "--version":
    case "-V":
      process.stdout.write(`plexus-bridge ${packageVersion()}\n`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      if (command.startsWith("-")) return (await import("./commands/run.js")).runRunCommand(argv);
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 64;
  }
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
