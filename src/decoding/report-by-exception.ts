/**
 * Report by exception: one send policy for every adapter and for the pipeline's per-metric
 * `report` rules. A numeric value is sent when it moved by more than a deadband (absolute, or a
 * percentage of the last value sent), at most at a maximum rate, and anyway after a heartbeat
 * interval so a flat line is still seen to be alive. Pure state and arithmetic, no timers: the
 * heartbeat is checked as values arrive.
 *
 * Times are whatever clock the caller uses (frame times on a replay, so a replay at speed max
 * filters the same as at speed 1; the monotonic clock for live buses).
 */

export interface ReportPolicy {
  /** Send only when the value moved past a deadband (0 = any change). */
  onChange: boolean;
  /** Absolute deadband, in the value's units. */
  deadband: number;
  /** Relative deadband, percent of the last value sent (0 = none). With both set, a value must move past both. */
  deadbandPercent: number;
  /** 0 = no rate limit. */
  minIntervalMs: number;
  /** 0 = no heartbeat. */
  heartbeatMs: number;
}

/** Last sent value, time and label per slot; grows on demand. */
export class ReportState {
  value: Float64Array;
  sentAt: Float64Array;
  seen: Uint8Array;
  readonly label: (string | undefined)[];
  constructor(slots = 16) {
    this.value = new Float64Array(slots);
    this.sentAt = new Float64Array(slots);
    this.seen = new Uint8Array(slots);
    this.label = new Array(slots).fill(undefined);
  }

  /** Makes room for `slot` (slots already used keep their state). */
  ensure(slot: number): void {
    if (slot < this.seen.length) return;
    const size = Math.max(slot + 1, this.seen.length * 2);
    const grow = <T extends Float64Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.value = grow(this.value, new Float64Array(size));
    this.sentAt = grow(this.sentAt, new Float64Array(size));
    this.seen = grow(this.seen, new Uint8Array(size));
  }
}

/** Decides whether to send `value` now; records it when the answer is yes. */
export function admit(policy: ReportPolicy, state: ReportState, slot: number, value: number, now: number): boolean {
  if (state.seen[slot] === 0) {
    state.seen[slot] = 1;
    state.value[slot] = value;
    state.sentAt[slot] = now;
    return true;
  }
  const since = now - state.sentAt[slot];
  const heartbeatDue = policy.heartbeatMs > 0 && since >= policy.heartbeatMs;
  if (policy.minIntervalMs > 0 && since < policy.minIntervalMs && !heartbeatDue) return false;
  if (policy.onChange && !heartbeatDue && !movedPastDeadband(policy, state.value[slot], value)) return false;
  state.value[slot] = value;
  state.sentAt[slot] = now;
  return true;
}

function movedPastDeadband(policy: ReportPolicy, last: number, value: number): boolean {
  // A value that turned NaN (or back) is a change whatever the deadband says.
  if (Number.isNaN(last) !== Number.isNaN(value)) return true;
  const band = Math.max(policy.deadband, (Math.abs(last) * policy.deadbandPercent) / 100);
  return Math.abs(value - last) > band;
}
