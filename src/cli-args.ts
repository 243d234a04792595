/**
 * Command-line flags for every plexus-bridge command, through node:util parseArgs, with two rules
 * parseArgs lacks: a flag whose value is missing (end of argv, or another flag follows) is a usage
 * error naming that flag, and a value that starts with "-" is taken as written (`--skew -180d`),
 * as `--flag=value` is. Usage errors exit 64 (sysexits.h EX_USAGE).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

export const EXIT_USAGE = 64;

/** A mistake on the command line: the command prints it with its usage and exits EXIT_USAGE. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs<T extends Options> {
  values: ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true }>>["values"];
  positionals: string[];
}

/** Parses argv against `options`; throws UsageError. Positionals are refused unless `positionals` allows some. */
export function parseCommandArgs<T extends Options>(argv: readonly string[], options: T, positionals = 0): ParsedArgs<T> {
  const args = joinValues(argv, options);
  let parsed: ParsedArgs<T>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true }) as ParsedArgs<T>;
  } catch (error) {
    throw new UsageError(rephrase(error as Error & { code?: string }));
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument: ${parsed.positionals[positionals]}`);
  for (const [name, spec] of Object.entries(options)) {
    const value = (parsed.values as Record<string, unknown>)[name];
    const values = Array.isArray(value) ? value : [value];
    if (spec.type === "string" && values.some((v) => v === "")) throw new UsageError(`--${name} needs a value`);
  }
  return parsed;
}

/**
 * Rewrites `--name value` and `-n value` of string options to `--name=value`, so parseArgs takes
 * a value that starts with "-" instead of calling it ambiguous; refuses a flag left without one.
 */
function joinValues(argv: readonly string[], options: Options): string[] {
  const byFlag = new Map<string, { name: string; type: "string" | "boolean" }>();
  for (const [name, spec] of Object.entries(options)) {
    byFlag.set(`--${name}`, { name, type: spec.type });
    if (spec.short) byFlag.set(`-${spec.short}`, { name, type: spec.type });
  }
  const isFlag = (arg: string) => arg === "--" || byFlag.has(arg.split("=", 1)[0]);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const option = byFlag.get(arg);
    if (option?.type !== "string") {
      out.push(arg);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || isFlag(value)) throw new UsageError(`${arg} needs a value`);
    out.push(`--${option.name}=${value}`);
    i++;
  }
  return out;
}

function rephrase(error: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? "";
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument: ${quoted}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(error.message) ? `${quoted} takes no value` : error.message.split("\n")[0];
    default:
      return error.message;
  }
}

/** Writes "error\nusage" to stderr and returns EXIT_USAGE: the one way commands refuse their arguments. */
export function usageFailure(error: unknown, usage: string, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (!(error instanceof UsageError)) throw error;
  write(`${error.message}\n${usage.endsWith("\n") ? usage : `${usage}\n`}`);
  return EXIT_USAGE;
}

/** A value that must be one of `choices`, for flags like --format. */
export function oneOf<C extends string>(flag: string, value: string | undefined, choices: readonly C[]): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    const list = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
    throw new UsageError(`--${flag} takes ${list}, not ${value}`);
  }
  return value as C;
}
