/** Dropping the points a gateway refused although local validation passed them: loudly, and counted. */
import type { Logger } from "../log.js";
import type { Batch, BatchSource } from "../pipeline/batch-source.js";
import type { UplinkCounters } from "./counters.js";

export function quarantineRefused(
  batch: Batch,
  refused: Map<number, string>,
  ctx: { source: BatchSource; log: Logger; counters: UplinkCounters },
): void {
  // Highest index first: removing a point shifts the ones after it.
  for (const index of [...refused.keys()].sort((a, b) => b - a)) {
    const reason = refused.get(index)!;
    ctx.log.error("gateway refused a point that passed local validation: dropped (local validation needs the same rule)", {
      metric: batch.points[index].metric,
      reason,
    });
    ctx.source.quarantine(batch, index, `rejected by gateway: ${reason}`);
    ctx.counters.pointsQuarantined++;
  }
}
