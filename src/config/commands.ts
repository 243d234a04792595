/**
 * `plexus-bridge check` and `plexus-bridge schema`: they return exit codes and write through the
 * given io, so the CLI wires them in one line each and tests run them in process.
 */
import { existsSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AdapterDefinition } from "../adapter-contract.js";
import { parseCommandArgs, UsageError, usageFailure } from "../cli-args.js";
import { packageRoot } from "../package-root.js";
import { committedSchemaPath, jsonSchemaText } from "./json-schema.js";
import { loadConfig } from "./load.js";
import { EXIT_CONFIG, formatProblems } from "./problems.js";

export const DEFAULT_CONFIG_PATH = "/etc/plexus-bridge/config.yaml";
export const CONFIG_ENV_VAR = "PLEXUS_BRIDGE_CONFIG";

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** The adapter definitions the JSON Schema covers; default: every registered type. */
  definitions?: () => Promise<AdapterDefinition[]>;
}

const processIo = (): CommandIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});

/** `-c FILE` wins, then $PLEXUS_BRIDGE_CONFIG, then /etc/plexus-bridge/config.yaml. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, flag?: string): string {
  return flag || env[CONFIG_ENV_VAR] || DEFAULT_CONFIG_PATH;
}

const CHECK_USAGE = "usage: plexus-bridge check [-c FILE]\n";

export async function runCheckCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  let flag: string | undefined;
  try {
    const { values } = parseCommandArgs(argv, { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } });
    if (values.help) {
      io.stdout(
        `${CHECK_USAGE}Validates the config (and the files it names) without starting anything. Exit 0: valid; ${EXIT_CONFIG}: not.\n`,
      );
      return 0;
    }
    flag = values.config;
  } catch (error) {
    return usageFailure(error, CHECK_USAGE, io.stderr);
  }
  const file = defaultConfigPath(io.env, flag);
  const { config, problems } = await loadConfig(file, { env: io.env, checkFiles: true, needsApiKey: true });
  if (!config) {
    io.stderr(`${formatProblems(problems)}\n${problems.length} problem${problems.length === 1 ? "" : "s"} in ${file}\n`);
    return EXIT_CONFIG;
  }
  const adapters = config.adapters.map((a) => `${a.id} (${a.type}${a.enabled ? "" : ", disabled"})`);
  io.stdout(
    `${file}: OK; source ${config.plexus.source_id}; ${adapters.length} adapter(s)${adapters.length ? `: ${adapters.join(", ")}` : ""}\n`,
  );
  return 0;
}

const SCHEMA_FILE_NAME = "plexus-bridge.schema.json";
const SCHEMA_USAGE = `usage: plexus-bridge schema [--check | --write [PATH]] [--file PATH]
  --write PATH   write it there (a folder: PATH/${SCHEMA_FILE_NAME}); without PATH, beside the
                 config (-c FILE, $${CONFIG_ENV_VAR}, ${DEFAULT_CONFIG_PATH}), or in a checkout
                 the committed config/${SCHEMA_FILE_NAME}
`;

/**
 * Prints the JSON Schema; `--write` writes it (beside the config, where its `$schema=./…` comment
 * finds it; in a checkout, the committed copy), `--check` exits 1 if the committed copy is stale.
 */
export async function runSchemaCommand(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  let mode: "print" | "check" | "write" = "print";
  let target: string | undefined;
  let configFlag: string | undefined;
  try {
    // `--write` takes an optional PATH: parseArgs has no optional values, so it arrives as the one
    // positional allowed.
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        check: { type: "boolean" },
        write: { type: "boolean" },
        file: { type: "string" },
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
      },
      1,
    );
    if (values.help) {
      io.stdout(SCHEMA_USAGE);
      return 0;
    }
    if (values.check && values.write) throw new UsageError("--check and --write do not go together");
    mode = values.check ? "check" : values.write ? "write" : "print";
    if (positionals.length > 0 && mode !== "write") throw new UsageError(`unexpected argument: ${positionals[0]}`);
    target = positionals.length > 0 ? schemaTarget(positionals[0]) : values.file;
    configFlag = values.config;
  } catch (error) {
    return usageFailure(error, SCHEMA_USAGE, io.stderr);
  }
  const text = await jsonSchemaText(await io.definitions?.());
  if (mode === "print") {
    io.stdout(text);
    return 0;
  }
  const file =
    target ??
    (mode === "write" && !isCheckout()
      ? path.join(path.dirname(defaultConfigPath(io.env, configFlag)), SCHEMA_FILE_NAME)
      : committedSchemaPath());
  if (mode === "write") {
    await writeFile(file, text);
    io.stdout(`wrote ${file}\n`);
    return 0;
  }
  const committed = await readFile(file, "utf8").catch(() => undefined);
  if (committed === text) {
    io.stdout(`${file} is up to date\n`);
    return 0;
  }
  io.stderr(`${file} is ${committed === undefined ? "missing" : "stale"}: run \`plexus-bridge schema --write\` and commit it\n`);
  return 1;
}

/** A folder (existing, or written with a trailing slash) gets the schema's usual file name. */
function schemaTarget(arg: string): string {
  const folder = arg.endsWith("/") || (existsSync(arg) && statSync(arg).isDirectory());
  return folder ? path.join(arg, SCHEMA_FILE_NAME) : arg;
}

/** A checkout has the sources; the npm package ships only dist/ (package.json "files"). */
function isCheckout(): boolean {
  return existsSync(path.join(packageRoot(), "src", "cli.ts"));
}
