/**
 * Finding the points a gateway refuses inside a batch it rejected as a whole: probe ranges,
 * jump straight to the point an error names (`points[3]…`), halve otherwise. Ranges that pass
 * are delivered by the probe itself, so the rest of the batch is never lost or resent twice.
 * Shared by the WebSocket path (INVALID_MESSAGE) and HTTP (400, and 413 by splitting).
 */

export type ProbeOutcome =
  | { kind: "accepted" }
  /** The range was refused; `index` is the refused point relative to the range start, when the server named one. */
  | { kind: "refused"; reason: string; index?: number }
  /** Refused for a reason unrelated to the points (rate limit): wait, then probe the same range again. */
  | { kind: "retry" };

export type Probe = (from: number, to: number) => Promise<ProbeOutcome>;

/** Probes points[from, to) until every point is delivered or known refused; returns refused index → reason. */
export async function findRefused(
  from: number,
  to: number,
  probe: Probe,
  refused = new Map<number, string>(),
): Promise<Map<number, string>> {
  if (to <= from) return refused;
  for (;;) {
    const outcome = await probe(from, to);
    if (outcome.kind === "accepted") return refused;
    if (outcome.kind === "retry") continue;
    if (to - from === 1) {
      refused.set(from, outcome.reason);
      return refused;
    }
    const named = outcome.index;
    if (named !== undefined && named >= 0 && named < to - from) {
      const at = from + named;
      await findRefused(at, at + 1, probe, refused);
      await findRefused(from, at, probe, refused);
      await findRefused(at + 1, to, probe, refused);
      return refused;
    }
    const middle = (from + to) >> 1;
    await findRefused(from, middle, probe, refused);
    await findRefused(middle, to, probe, refused);
    return refused;
  }
}
