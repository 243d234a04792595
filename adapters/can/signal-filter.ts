/**
 * Per-signal send policy from the CAN options: on_change with a deadband, a maximum rate, and a
 * heartbeat that sends an unchanged value after a while. The policy itself is the shared
 * report-by-exception one (src/decoding/report-by-exception.ts). Times are frame times (capture
 * time on replay, so a replay at speed max filters the same as at speed 1) or the monotonic
 * clock for live buses.
 */
import type { ReportPolicy } from "../../src/decoding/report-by-exception.js";
import type { FilterOptions } from "./options.js";

export { admit, ReportState as SignalState } from "../../src/decoding/report-by-exception.js";

export type SignalPolicy = ReportPolicy;

export function resolvePolicy(defaults: FilterOptions, override: FilterOptions | undefined): SignalPolicy | undefined {
  const merged = { ...defaults, ...stripUndefined(override ?? {}) };
  const maxRate = merged.max_rate ?? 0;
  const policy: SignalPolicy = {
    onChange: merged.on_change ?? false,
    deadband: merged.deadband ?? 0,
    deadbandPercent: 0,
    minIntervalMs: maxRate > 0 ? 1000 / maxRate : 0,
    heartbeatMs: merged.heartbeat ?? 0,
  };
  return policy.onChange || policy.minIntervalMs > 0 ? policy : undefined;
}

function stripUndefined(options: FilterOptions): FilterOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
