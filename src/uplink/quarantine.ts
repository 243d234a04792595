/** Dropping the points a gateway refused although local validation passed them: loudly, counted, and without flooding the log. */
import type { Logger } from "../log.js";
import type { Batch, BatchSource } from "../pipeline/batch-source.js";
import type { UplinkCounters } from "./counters.js";

const LINES_PER_MINUTE = 5;

interface LogWindow {
  startedAt: number;
  lines: number;
  suppressed: number;
}

/** One log window per uplink (its counters object identifies it). */
const windows = new WeakMap<UplinkCounters, LogWindow>();

export function quarantineRefused(
  batch: Batch,
  refused: Map<number, string>,
  ctx: { source: BatchSource; log: Logger; counters: UplinkCounters },
): void {
  // Highest index first: removing a point shifts the ones after it.
  for (const index of [...refused.keys()].sort((a, b) => b - a)) {
    const reason = refused.get(index)!;
    logRefused(ctx, batch.points[index].metric, reason);
    ctx.source.quarantine(batch, index, `rejected by gateway: ${reason}`);
    ctx.counters.pointsQuarantined++;
  }
}

function logRefused(ctx: { log: Logger; counters: UplinkCounters }, metric: string, reason: string): void {
  const now = Date.now();
  let window = windows.get(ctx.counters);
  if (!window || now - window.startedAt > 60_000) {
    if (window && window.suppressed > 0)
      ctx.log.error(`${window.suppressed} more points refused by the gateway in the last minute (not shown)`);
    window = { startedAt: now, lines: 0, suppressed: 0 };
    windows.set(ctx.counters, window);
  }
  if (window.lines >= LINES_PER_MINUTE) {
    window.suppressed++;
    return;
  }
  window.lines++;
  ctx.log.error("gateway refused a point that passed local validation: dropped (local validation needs the same rule)", {
    metric,
    reason,
  });
}
