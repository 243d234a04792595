/**
 * `plexus-bridge gateway`: the local Plexus-compatible gateway as a command, for demos and
 * offline commissioning. Accepted points go out as NDJSON; a per-source summary is printed
 * every few seconds; commands typed on stdin go to the connected bridge.
 */
import { createWriteStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { EXIT_USAGE, parseCommandArgs } from "../cli-args.js";
import { parseDuration } from "../config/units.js";
import { type Gateway, startGateway } from "./server.js";

const USAGE = `usage: plexus-bridge gateway [options]

  --port N                 listen port (default 8080; 0 = any free port)
  --host ADDR              listen address (default 127.0.0.1)
  --output FILE|-          write accepted points as NDJSON to FILE, or stdout with "-"
  --keys K1,K2             accepted API keys (default: dev mode, any non-empty key)
  --keys-file FILE         accepted API keys, one per line
  --read-only-keys K1,K2   keys that authenticate but lack write scope
  --latency DURATION       one-way latency added in each direction (e.g. 150ms)
  --drop-every DURATION    drop every device connection this often (no close frame)
  --going-away-every DUR   close every device connection with 1001 this often
  --stall-every DURATION   hold what devices send this often, then deliver it at once (a TCP
                           retransmission on a lossy link; frames arrive back to back)
  --stall-for DURATION     how long each stall holds (default 200ms)
  --skew DURATION          server clock ahead by this much (e.g. 180d); prefix "-" for behind
  --rate-limit-every N     answer every Nth telemetry frame with RATE_LIMITED
  --summary-interval DUR   per-source summary period on stderr (default 5s; 0 = off)
  --quiet                  no summary

stdin: "<source_id> <command> [params-json]" sends a typed_command;
       "<source_id> {json}" sends a raw frame (e.g. {"type":"ping"}).`;

function duration(text: string | undefined, what: string): number {
  if (text === undefined) return 0;
  const negative = text.startsWith("-");
  const value = parseDuration(negative ? text.slice(1) : text);
  if (value === undefined) throw new Error(`${what}: expected a duration like 150ms, 2s or 180d, got "${text}"`);
  return negative ? -value : value;
}

function list(text: string | undefined): string[] | undefined {
  return text === undefined
    ? undefined
    : text
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean);
}

export async function runGatewayCommand(argv: string[]): Promise<number> {
  let gateway: Gateway;
  let summaryMs: number;
  const err = process.stderr;
  try {
    const { values } = parseCommandArgs(argv, {
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
      output: { type: "string" },
      keys: { type: "string" },
      "keys-file": { type: "string" },
      "read-only-keys": { type: "string" },
      latency: { type: "string" },
      "drop-every": { type: "string" },
      "going-away-every": { type: "string" },
      "stall-every": { type: "string" },
      "stall-for": { type: "string" },
      skew: { type: "string" },
      "rate-limit-every": { type: "string" },
      "summary-interval": { type: "string", default: "5s" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0–65535, got "${values.port}"`);
    let keys = list(values.keys);
    if (values["keys-file"]) {
      const fromFile = readFileSync(values["keys-file"], "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"));
      keys = [...(keys ?? []), ...fromFile];
    }
    const rateLimitEvery = values["rate-limit-every"] === undefined ? 0 : Number(values["rate-limit-every"]);
    if (!Number.isInteger(rateLimitEvery) || rateLimitEvery < 0) throw new Error("--rate-limit-every: expected a whole number");
    summaryMs = values.quiet ? 0 : duration(values["summary-interval"], "--summary-interval");
    const output =
      values.output === undefined ? undefined : values.output === "-" ? process.stdout : createWriteStream(values.output, { flags: "a" });
    gateway = await startGateway({
      host: values.host,
      port,
      keys,
      readOnlyKeys: list(values["read-only-keys"]),
      output,
      keepPoints: false,
      maxMessages: 1000,
      // Device replies (command results, device errors) are echoed as they arrive.
      onMessage: (m) => {
        if (m.message.type !== "heartbeat") err.write(`<- ${m.source_id ?? "?"} ${JSON.stringify(m.message)}\n`);
      },
      latencyMs: duration(values.latency, "--latency"),
      faults: {
        dropEveryMs: duration(values["drop-every"], "--drop-every"),
        goingAwayEveryMs: duration(values["going-away-every"], "--going-away-every"),
        stallEveryMs: duration(values["stall-every"], "--stall-every"),
        stallForMs: duration(values["stall-for"], "--stall-for") || (values["stall-every"] ? 200 : 0),
        skewMs: duration(values.skew, "--skew"),
        rateLimitEvery,
      },
    });
  } catch (error) {
    err.write(`plexus-bridge gateway: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }

  err.write(`gateway listening on ${gateway.url} (WebSocket ${gateway.url.replace(/^http/, "ws")}/ws/device, POST /ingest, GET /health)\n`);
  const printSummary = () => {
    for (const [source, s] of gateway.summary()) {
      err.write(
        `${source}: ${s.connected ? "connected" : "offline"} points=${s.points} frames=${s.framesAccepted} rejected=${s.framesRejected} rate_limited=${s.framesRateLimited} dropped_silently=${s.framesDroppedSilently}\n`,
      );
    }
  };
  const summaryTimer = summaryMs > 0 ? setInterval(printSummary, summaryMs) : undefined;

  const rl = createInterface({ input: process.stdin, terminal: false });
  let commandCounter = 0;
  rl.on("line", (line) => {
    const text = line.trim();
    if (!text) return;
    const space = text.indexOf(" ");
    const source = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? "" : text.slice(space + 1).trim();
    try {
      let frame: Record<string, unknown>;
      if (rest.startsWith("{")) frame = JSON.parse(rest);
      else {
        const [command, ...paramText] = rest.split(" ");
        if (!command) throw new Error("expected: <source_id> <command> [params-json]");
        const params = paramText.length > 0 ? JSON.parse(paramText.join(" ")) : {};
        frame = { type: "typed_command", id: `cli-${++commandCounter}`, command, params };
      }
      if (!gateway.sendCommand(source, frame)) err.write(`no device connected as ${source}\n`);
      else err.write(`-> ${source} ${JSON.stringify(frame)}\n`);
    } catch (error) {
      err.write(`cannot send: ${(error as Error).message}\n`);
    }
  });

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  rl.close();
  if (summaryTimer) clearInterval(summaryTimer);
  printSummary();
  await gateway.close();
  return 0;
}
