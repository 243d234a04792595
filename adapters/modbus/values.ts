/**
 * A decoded register value → what is emitted: scale factors (SunSpec), scale and offset, code
 * labels, "not implemented" markers and non-finite numbers. Pure.
 */
import { type DecodedValue, scaleValue } from "./decode.js";
import type { RegisterPoint } from "./register-map.js";

export type PointOutcome =
  | { kind: "value"; value: number | string | boolean }
  /** Nothing to emit and nothing wrong (a SunSpec point the device does not implement). */
  | { kind: "skip" }
  /** Nothing to emit, and the counter to bump. */
  | { kind: "bad"; counter: string };

/** SunSpec's "not implemented" value of a scale factor (int16 0x8000). */
const SF_NOT_IMPLEMENTED = -32768;

export function toPointValue(point: RegisterPoint, value: DecodedValue, raw: ReadonlyMap<string, DecodedValue>): PointOutcome {
  if (point.notImplemented !== undefined && Object.is(value, point.notImplemented)) return { kind: "skip" };
  let numeric: number | string | boolean = typeof value === "bigint" ? Number(value) : value;
  if (point.labels && typeof numeric === "number") {
    return { kind: "value", value: point.labels.get(numeric) ?? String(numeric) };
  }
  if (point.scaleFactorPoint && typeof numeric === "number") {
    const sf = raw.get(point.scaleFactorPoint);
    if (sf === undefined || sf === SF_NOT_IMPLEMENTED) return { kind: "skip" };
    if (typeof sf !== "number" || sf < -10 || sf > 10) return { kind: "bad", counter: "bad_scale_factors" };
    numeric = sf < 0 ? numeric / 10 ** -sf : numeric * 10 ** sf;
  }
  const scaled = scaleValue(numeric, point.scale, point.offset);
  if (typeof scaled === "number" && !Number.isFinite(scaled)) return { kind: "bad", counter: "non_finite_values" };
  return { kind: "value", value: scaled };
}
