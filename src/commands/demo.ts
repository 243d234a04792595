/**
 * `plexus-bridge demo [--duration 30s] [-c FILE]`: the bridge's main job with nothing to set up.
 * Starts the local gateway on a free loopback port, runs the bridge on config/demo.yaml (real
 * captures replayed: a MAVLink flight log, a CAN bus with its DBC), and prints what the gateway
 * stores: points per source and the latest value of a few metrics.
 */
import path from "node:path";
import { parseCommandArgs, UsageError, usageFailure } from "../cli-args.js";
import { parseDuration } from "../config/units.js";
import { startGateway } from "../gateway/server.js";
import { packageRoot } from "../package-root.js";
import { COMMON_OPTIONS } from "./shared.js";

/** Metrics worth a glance in the demo's summary, when the replays carry them. */
const HEADLINE = [
  /^sub\.attitude\.(roll|pitch|yaw)$/,
  /^sub\.vfr_hud\.(heading|alt)$/,
  /^sub\.sys_status\.voltage_battery$/,
  /^sub\.heartbeat\.(mode|system_status)/,
  /^car\.ESP_21\.ESP_v_Signal$/,
  /^car\.LWI_01\.LWI_Lenkradwinkel$/,
  /^car\.Motor_\d+\.\w*(Drehzahl|Moment)\w*$/,
  /^car\.bus\./,
];

const USAGE = "usage: plexus-bridge demo [--duration 30s] [-c FILE] [--log-level LEVEL]\n";

export function demoConfigPath(): string {
  return path.join(packageRoot(), "config", "demo.yaml");
}

const OPTIONS = { ...COMMON_OPTIONS, duration: { type: "string" } } as const;

export async function runDemoCommand(argv: readonly string[]): Promise<number> {
  let durationMs = 0;
  let durationText = "";
  const passOn: string[] = [];
  let file: string;
  try {
    const { values } = parseCommandArgs(argv, OPTIONS);
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (values.duration !== undefined) {
      const value = parseDuration(values.duration);
      if (value === undefined) throw new UsageError(`--duration takes a duration like 30s, not ${values.duration}`);
      durationMs = value;
      durationText = values.duration;
    }
    file = values.config ?? demoConfigPath();
    for (const flag of ["log-format", "log-level"] as const) if (values[flag] !== undefined) passOn.push(`--${flag}`, values[flag]);
  } catch (error) {
    return usageFailure(error, USAGE);
  }

  const latest = new Map<string, { value: unknown; source: string }>();
  const perAdapter = new Map<string, number>();
  const gateway = await startGateway({
    host: "127.0.0.1",
    port: 0,
    keepPoints: false,
    onPoints: (source, points) => {
      for (const point of points) {
        const metric = point.metric as string;
        latest.set(metric, { value: point.value, source });
        const adapter = metric.slice(0, metric.indexOf("."));
        perAdapter.set(adapter, (perAdapter.get(adapter) ?? 0) + 1);
      }
    },
  });
  process.env.PLEXUS_DEMO_URL = gateway.url;
  process.env.PLEXUS_API_KEY ??= "plx_demo0000000000000000000000000000";
  process.stdout.write(`local gateway on ${gateway.url} (dev mode); bridge config ${file}\n`);

  const printSummary = () => {
    const lines: string[] = [];
    for (const [source, summary] of gateway.summary()) {
      lines.push(
        `${source}: ${summary.points.toLocaleString("en-US")} points in ${summary.framesAccepted} frames${summary.connected ? "" : " (disconnected)"}`,
      );
    }
    lines.push(`  by adapter: ${[...perAdapter].map(([id, n]) => `${id} ${n.toLocaleString("en-US")}`).join(", ")}`);
    const headline = [...latest.entries()].filter(([metric]) => HEADLINE.some((pattern) => pattern.test(metric)));
    const sample = (headline.length > 0 ? headline : [...latest.entries()].slice(-8)).sort(([a], [b]) => a.localeCompare(b)).slice(0, 16);
    for (const [metric, { value }] of sample) {
      lines.push(`  ${metric.padEnd(44)} ${typeof value === "number" ? Number(value.toPrecision(6)) : JSON.stringify(value)}`);
    }
    process.stdout.write(`${lines.join("\n")}\n\n`);
  };
  const summaryTimer = setInterval(printSummary, 3000);
  const { runRunCommand } = await import("./run.js");
  // --duration stops the bridge from inside, as a signal would, and the log says which it was.
  const stop = new AbortController();
  const running = runRunCommand(["-c", file, ...passOn], { stop: stop.signal });
  let stopTimer: NodeJS.Timeout | undefined;
  if (durationMs > 0) stopTimer = setTimeout(() => stop.abort(`demo --duration ${durationText} elapsed`), durationMs);
  const code = await running;
  clearTimeout(stopTimer);
  clearInterval(summaryTimer);
  printSummary();
  await gateway.close();
  return code;
}
