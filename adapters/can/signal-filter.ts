/**
 * Per-signal send policy: on_change with a deadband, a maximum rate, and a heartbeat that sends an
 * unchanged value after a while. Times are frame times (capture time on replay, so a replay at
 * speed max filters the same as at speed 1) or the monotonic clock for live buses.
 */
import type { FilterOptions } from "./options.js";

export interface SignalPolicy {
  onChange: boolean;
  deadband: number;
  /** 0 = no rate limit. */
  minIntervalMs: number;
  /** 0 = no heartbeat. */
  heartbeatMs: number;
}

export function resolvePolicy(defaults: FilterOptions, override: FilterOptions | undefined): SignalPolicy | undefined {
  const merged = { ...defaults, ...stripUndefined(override ?? {}) };
  const maxRate = merged.max_rate ?? 0;
  const policy: SignalPolicy = {
    onChange: merged.on_change ?? false,
    deadband: merged.deadband ?? 0,
    minIntervalMs: maxRate > 0 ? 1000 / maxRate : 0,
    heartbeatMs: merged.heartbeat ?? 0,
  };
  return policy.onChange || policy.minIntervalMs > 0 ? policy : undefined;
}

function stripUndefined(options: FilterOptions): FilterOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** Last sent value, time and label per signal slot (one set per interface and J1939 source address). */
export class SignalState {
  readonly value: Float64Array;
  readonly sentAt: Float64Array;
  readonly seen: Uint8Array;
  readonly label: (string | undefined)[];
  constructor(slots: number) {
    this.value = new Float64Array(slots);
    this.sentAt = new Float64Array(slots);
    this.seen = new Uint8Array(slots);
    this.label = new Array(slots).fill(undefined);
  }
}

/** Decides whether to send `value` now; records it when the answer is yes. */
export function admit(policy: SignalPolicy, state: SignalState, slot: number, value: number, now: number): boolean {
  if (state.seen[slot] === 0) {
    state.seen[slot] = 1;
    state.value[slot] = value;
    state.sentAt[slot] = now;
    return true;
  }
  const since = now - state.sentAt[slot];
  const heartbeatDue = policy.heartbeatMs > 0 && since >= policy.heartbeatMs;
  if (policy.minIntervalMs > 0 && since < policy.minIntervalMs && !heartbeatDue) return false;
  if (policy.onChange && !heartbeatDue && !(Math.abs(value - state.value[slot]) > policy.deadband)) return false;
  state.value[slot] = value;
  state.sentAt[slot] = now;
  return true;
}
