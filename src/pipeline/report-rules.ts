/**
 * The per-adapter `report:` rules: report by exception for numeric points, by metric glob, first
 * match wins. They run in the pipeline before a point is counted as received, so every adapter
 * gets deadbands and heartbeats without code of its own (CAN's per-signal on_change uses the same
 * policy inside its decoder, where it also saves the decoding work).
 */
import { z } from "zod";
import { duration, rate } from "../config/units.js";
import { globMatcher } from "../decoding/json-fields.js";
import { admit, type ReportPolicy, ReportState } from "../decoding/report-by-exception.js";
import type { PointInput } from "./point.js";

export const reportRuleSchema = z
  .strictObject({
    match: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default("**")
      .describe('Metric name glob(s), without the adapter prefix: * within one dotted segment, ** across segments. Default "**" (all).'),
    deadband: z
      .strictObject({
        absolute: z.number().nonnegative().optional().describe("Send when the value moved by more than this (its own units)."),
        percent: z
          .number()
          .nonnegative()
          .optional()
          .describe("Send when the value moved by more than this percentage of the last value sent."),
      })
      .optional()
      .describe("Report by exception: an unchanged (within the deadband) value is not sent. With both set, a value must move past both."),
    heartbeat: duration()
      .optional()
      .describe("Send an unchanged value anyway when nothing was sent for this long (checked as values arrive)."),
    max_rate: rate().optional().describe("At most this many values per second per metric (e.g. 1Hz, 30/min)."),
  })
  .describe("One report-by-exception rule for numeric points.");

export const reportRulesSchema = z
  .array(reportRuleSchema)
  .max(256)
  .describe("Report-by-exception rules for this adapter's numeric points, first match wins; metrics no rule matches are all sent.");

export type ReportRule = z.output<typeof reportRuleSchema>;

function policyOf(rule: ReportRule): ReportPolicy {
  return {
    onChange: rule.deadband !== undefined,
    deadband: rule.deadband?.absolute ?? 0,
    deadbandPercent: rule.deadband?.percent ?? 0,
    minIntervalMs: rule.max_rate && rule.max_rate > 0 ? 1000 / rule.max_rate : 0,
    heartbeatMs: rule.heartbeat ?? 0,
  };
}

const MAX_SERIES = 100_000;

/** One adapter's rules and the last value sent per series (metric and tags). */
export class ReportFilter {
  private readonly rules: { matches: (metric: string) => boolean; policy: ReportPolicy }[];
  /** Series key → slot in `state`, or -1 when no rule filters it (decided once per series). */
  private readonly slots = new Map<string, number>();
  private readonly policies: ReportPolicy[] = [];
  private readonly state = new ReportState();

  constructor(rules: readonly ReportRule[]) {
    this.rules = rules.map((rule) => ({
      matches: globMatcher(typeof rule.match === "string" ? [rule.match] : rule.match),
      policy: policyOf(rule),
    }));
  }

  /** True when the point is to be sent. Points that are not finite numbers always are. */
  admit(input: PointInput, now: number): boolean {
    const value = input.value;
    if (typeof value !== "number" || typeof input.metric !== "string") return true;
    const key = input.tags ? `${input.metric}\u0000${JSON.stringify(input.tags)}` : input.metric;
    const slot = this.slots.get(key) ?? this.assign(key, input.metric);
    if (slot < 0) return true;
    return admit(this.policies[slot], this.state, slot, value, input.timestamp ?? now);
  }

  private assign(key: string, metric: string): number {
    const rule = this.rules.find((candidate) => candidate.matches(metric));
    const filtering = rule && (rule.policy.onChange || rule.policy.minIntervalMs > 0);
    // Past the cap (a metric name or tag that changes with every point), series are sent unfiltered
    // rather than held in memory without bound.
    if (this.slots.size >= MAX_SERIES) return -1;
    const slot = filtering ? this.policies.length : -1;
    if (rule && filtering) {
      this.policies.push(rule.policy);
      this.state.ensure(slot);
    }
    this.slots.set(key, slot);
    return slot;
  }
}
