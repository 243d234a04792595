/** Command-line flags: parseArgs for every command, values that start with "-", usage errors that name the flag, exit 64. */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { main } from "../src/cli.js";
import { parseCommandArgs, UsageError } from "../src/cli-args.js";
import { repoRoot } from "./helpers/child.js";

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

it("gateway --skew -180d (the form its help documents) starts a gateway whose clock is behind", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "gateway", "--port=0", "--skew", "-180d", "--quiet"], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited ${code}: ${stderr}`)));
  });
  // The device handshake carries the server's clock: 180 days behind ours.
  const device = new WebSocket(`${url.replace("http", "ws")}/ws/device`);
  const authenticated = new Promise<{ server_time_ms: number }>((resolve) =>
    device.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === "authenticated") resolve(frame);
    }),
  );
  await new Promise((resolve) => device.once("open", resolve));
  device.send(
    JSON.stringify({ type: "device_auth", api_key: "plx_dev", source_id: "skew", platform: "test", agent_version: "0", sensors: [] }),
  );
  const { server_time_ms } = await authenticated;
  device.close();
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(Date.now() - server_time_ms).toBeGreaterThan(179 * 86_400_000);
  expect(Date.now() - server_time_ms).toBeLessThan(181 * 86_400_000);
}, 30_000);
