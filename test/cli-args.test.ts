/** Command-line flags: parseArgs for every command, values that start with "-", usage errors that name the flag, exit 64. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli.js";
import { parseCommandArgs, UsageError } from "../src/cli-args.js";

const OPTIONS = { skew: { type: "string" }, quiet: { type: "boolean" }, config: { type: "string", short: "c" } } as const;

describe("parseCommandArgs", () => {
  it("takes --flag value, --flag=value and -c value, also when the value starts with '-'", () => {
    expect(parseCommandArgs(["--skew", "-180d"], OPTIONS).values).toEqual({ skew: "-180d" });
    expect(parseCommandArgs(["--skew=-180d"], OPTIONS).values).toEqual({ skew: "-180d" });
    expect(parseCommandArgs(["-c", "-odd.yaml", "--quiet"], OPTIONS).values).toEqual({ config: "-odd.yaml", quiet: true });
  });

  it("names the flag whose value is missing, at the end or before another flag", () => {
    expect(() => parseCommandArgs(["--skew"], OPTIONS)).toThrow(new UsageError("--skew needs a value"));
    expect(() => parseCommandArgs(["--skew", "--quiet"], OPTIONS)).toThrow(new UsageError("--skew needs a value"));
    expect(() => parseCommandArgs(["-c", "--skew=1s"], OPTIONS)).toThrow(new UsageError("-c needs a value"));
    expect(() => parseCommandArgs(["--skew="], OPTIONS)).toThrow(new UsageError("--skew needs a value"));
  });

  it("refuses unknown flags, stray arguments and a value given to a switch", () => {
    expect(() => parseCommandArgs(["--skw", "1s"], OPTIONS)).toThrow(new UsageError("unknown option --skw"));
    expect(() => parseCommandArgs(["file.yaml"], OPTIONS)).toThrow(new UsageError("unexpected argument: file.yaml"));
    expect(() => parseCommandArgs(["--quiet=yes"], OPTIONS)).toThrow(new UsageError("--quiet takes no value"));
  });
});

describe("the commands' usage errors", () => {
  let stderr = "";
  afterEach(() => {
    vi.restoreAllMocks();
    stderr = "";
  });
  const run = async (argv: string[]) => {
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    return main(argv);
  };

  it.each([
    [["tail", "--adapter"], "--adapter needs a value"],
    [["tail", "--format"], "--format needs a value"],
    [["tail", "--format", "csv"], "--format takes ndjson or table, not csv"],
    [["tail", "--count", "many"], "--count takes a whole number of points, at least 1, not many"],
    [["tail", "--duration=soon"], "--duration takes a duration like 10s or 1m, not soon"],
    [["run", "--log-level"], "--log-level needs a value"],
    [["run", "--log-level=loud"], "--log-level takes debug, info, warn or error, not loud"],
    [["demo", "--duration"], "--duration needs a value"],
    [["schema", "--file"], "--file needs a value"],
    [["check", "-c"], "-c needs a value"],
    [["gateway", "--skew"], "--skew needs a value"],
    [["adapters", "--all"], "unknown option --all"],
    [["frobnicate"], "unknown command: frobnicate"],
  ])("%j exits 64: %s", async (argv, message) => {
    expect(await run(argv)).toBe(64);
    expect(stderr).toContain(message);
    expect(stderr).toContain("usage: plexus-bridge");
  });
});
