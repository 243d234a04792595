/**
 * Text values → point values for the text formats (lines, csv, regex): declared columns give a
 * type, scale and unit; undeclared keys become numbers when they read as one, else events.
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import type { ColumnOptions } from "../options.js";
import type { Count } from "./format.js";

export interface Column {
  metric: string;
  type: "number" | "string" | "skip" | "auto";
  scale: number;
  add: number;
  tags?: Readonly<Record<string, string>>;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A name from the wire as a metric: trimmed, inner blanks as underscores. */
export function metricName(name: string): string {
  return name.trim().replace(/\s+/g, "_");
}

export function declaredColumn(options: ColumnOptions): Column {
  return {
    metric: metricName(options.name),
    type: options.type,
    scale: options.scale,
    add: options.add,
    tags: options.unit ? Object.freeze({ unit: options.unit }) : undefined,
  };
}

export function autoColumn(name: string): Column {
  return { metric: metricName(name), type: "auto", scale: 1, add: 0 };
}

/** Appends the point for `text` in `column` (nothing for an empty value); counts bad_values. */
export function pushColumnValue(column: Column, raw: string, out: PointInput[], count: Count): void {
  if (column.type === "skip" || column.metric === "") return;
  const text = raw.trim();
  if (text === "") return;
  let value: number | string;
  if (column.type === "string") value = text;
  else if (NUMBER.test(text)) value = Number(text) * column.scale + column.add;
  else if (column.type === "auto") value = text;
  else {
    count("bad_values");
    return;
  }
  out.push(column.tags ? { metric: column.metric, value, tags: column.tags } : { metric: column.metric, value });
}

/** Declared columns by name, for the formats that find values by key (lines, regex). */
export function columnsByName(columns: readonly ColumnOptions[] | undefined): Map<string, Column> {
  return new Map((columns ?? []).map((column) => [column.name, declaredColumn(column)]));
}

/** The column for `key`: declared, or an automatic one remembered for the next frame. */
export function columnFor(key: string, known: Map<string, Column>): Column {
  let column = known.get(key);
  if (!column) {
    column = autoColumn(key);
    // Bounded: a device sending random keys must not grow this without end.
    if (known.size < 10_000) known.set(key, column);
  }
  return column;
}
