/**
 * A test-only adapter ("testseq"): emits points `seq` = 0, 1, 2… in batches, honours
 * backpressure, and can be told to fail its first starts or to throw from a timer later. The
 * supervisor and daemon tests use it; it is registered only by them, never shipped.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defineAdapter } from "../../src/adapter-contract.js";
import { registerAdapter } from "../../src/adapters.js";
import { duration } from "../../src/config/units.js";

/** Starts per adapter id in this process, so a restarted instance knows how many came before. */
const startsById = new Map<string, number>();

export const testSeqAdapter = defineAdapter({
  type: "testseq",
  summary: "test-only: emits a numbered sequence",
  options: z.strictObject({
    count: z.number().int().min(0).default(0).describe("Points to emit in all (0: forever)."),
    batch: z.number().int().min(1).default(10).describe("Points per emit()."),
    interval: duration().default(10).describe("Gap between emits."),
    fail_starts: z.number().int().min(0).default(0).describe("The first N starts reject."),
    throw_after: z.number().int().min(0).default(0).describe("Throw from a timer after N points (0: never)."),
    throw_on_stop: z.boolean().default(false).describe("Throw from a timer while stopping (a leftover timer firing during the drain)."),
    label: z.string().default("a").describe("Goes into a tag, so a reload can change it."),
    step: z.number().default(1).describe("Point i has the value i × step (0.1 gives 0.30000000000000004 at i = 3)."),
  }),
  runtimeTunable: ["interval"],
  create(options, ctx) {
    let timer: NodeJS.Timeout | undefined;
    let next = 0;
    let interval = options.interval;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      const n = options.count === 0 ? options.batch : Math.min(options.batch, options.count - next);
      const points = Array.from({ length: n }, (_, i) => ({
        metric: "seq",
        value: (next + i) * options.step,
        tags: { label: options.label },
      }));
      next += n;
      const more = ctx.emit(points);
      if (options.throw_after > 0 && next >= options.throw_after) {
        // Thrown from a timer callback: nothing awaits it, so only the async context tells whose it is.
        setTimeout(() => {
          throw new Error(`testseq ${ctx.id} blew up after ${next} points`);
        }, 0);
        return;
      }
      if (options.count > 0 && next >= options.count) {
        ctx.finished();
        return;
      }
      if (!more) await ctx.drained();
      if (!stopped) timer = setTimeout(tick, interval);
    };
    return {
      async start() {
        const starts = (startsById.get(ctx.id) ?? 0) + 1;
        startsById.set(ctx.id, starts);
        if (starts <= options.fail_starts) throw new Error(`refused start #${starts}`);
        ctx.status("up");
        timer = setTimeout(tick, 0);
      },
      async stop() {
        stopped = true;
        clearTimeout(timer);
        if (options.throw_on_stop)
          setTimeout(() => {
            throw new Error(`testseq ${ctx.id} threw while stopping`);
          }, 0);
      },
      async configure(change) {
        if (typeof change.interval === "number") interval = change.interval;
        return { interval };
      },
      describe() {
        return { description: `test sequence (${options.label})`, metrics: ["seq"] };
      },
    };
  },
});

export interface TestseqConfig {
  url: string;
  sourceId: string;
  /** More lines under `plexus:`, indented by two spaces ("  ack_timeout: 2m"). */
  plexus?: string[];
  /** More top-level lines ("shutdown_timeout: 20s"). */
  top?: string[];
  /** The `gen` adapter's options, one "key: value" each (default: batches of 5 every 20 ms). */
  gen?: string[];
}

/** `dir`/config.yaml with one testseq adapter, `gen`, delivering to `url`: the daemon tests' config. */
export function writeTestseqConfig(dir: string, config: TestseqConfig): string {
  const file = join(dir, "config.yaml");
  const gen = config.gen ?? ["batch: 5", "interval: 20ms"];
  writeFileSync(
    file,
    [
      "plexus:",
      "  api_key: plx_test00000000000000000000000000000",
      `  source_id: ${config.sourceId}`,
      `  url: ${config.url}`,
      ...(config.plexus ?? []),
      `state_dir: ${join(dir, "state")}`,
      ...(config.top ?? []),
      "adapters:",
      "  gen:",
      "    type: testseq",
      ...gen.map((line) => `    ${line}`),
      "",
    ].join("\n"),
  );
  return file;
}

export function registerTestAdapter(): void {
  registerAdapter("testseq", async () => ({ default: testSeqAdapter }));
}

export function resetTestAdapterStarts(): void {
  startsById.clear();
}
