/**
 * When is the pipeline stuck, so that the watchdog must starve and systemd restart the bridge?
 *
 * A source is stuck when its uplink says it is connected, points are pending, and nothing has
 * moved for longer than the limit (half of WatchdogSec): no frame sent, no point acknowledged,
 * given back or rate limited, no HTTP request, no reconnect. A disconnected uplink is not stuck
 * (it retries with backoff and the spool holds the points), nor is an idle one (nothing
 * pending): restarting the process would not help either. A connected link that goes silent
 * with work to do is the case a restart fixes (a half-open TCP connection, a wedged socket).
 */
import type { UplinkView } from "./status-line.js";

/** Counters that move whenever the uplink does anything (src/uplink/counters.ts). */
const PROGRESS_FIELDS = [
  "connects",
  "framesSent",
  "pointsSent",
  "pointsAcked",
  "pointsGivenBack",
  "windowsFailed",
  "rateLimited",
  "httpRequests",
] as const;

interface Watched {
  signature: string;
  sinceMs: number;
}

export class StallDetector {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly limitMs: number) {}

  /** The stuck sources, each with why; empty when every uplink is moving, idle or disconnected. */
  check(uplinks: Record<string, unknown>, nowMs: number): string[] {
    const problems: string[] = [];
    for (const [sourceId, raw] of Object.entries(uplinks)) {
      if (typeof raw !== "object" || raw === null) continue;
      const uplink = raw as UplinkView & Record<string, unknown>;
      const signature = PROGRESS_FIELDS.map((field) => String(uplink[field] ?? "")).join(",");
      const previous = this.watched.get(sourceId);
      const waiting = uplink.connected === true && (uplink.pending ?? 0) > 0;
      if (!waiting) {
        // The clock starts when there is something to wait for, not at the first look.
        this.watched.delete(sourceId);
        continue;
      }
      if (!previous || previous.signature !== signature) {
        this.watched.set(sourceId, { signature, sinceMs: nowMs });
        continue;
      }
      const stalledMs = nowMs - previous.sinceMs;
      if (stalledMs > this.limitMs) {
        problems.push(
          `${sourceId}: ${uplink.pending} points pending on a connected uplink, no progress for ${Math.round(stalledMs / 1000)} s`,
        );
      }
    }
    for (const sourceId of this.watched.keys()) if (!(sourceId in uplinks)) this.watched.delete(sourceId);
    return problems;
  }
}
