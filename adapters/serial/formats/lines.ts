/**
 * The `lines` format: `key=value` or `key: value` pairs, e.g. `T=21.5 RH=40` or
 * `temp: 21.5, hum: 40`. Pairs are split by `separator` (default: runs of spaces, commas,
 * semicolons or tabs), then each at its first `=` or `:`.
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import type { ColumnOptions } from "../options.js";
import { type Column, columnFor, columnsByName, pushColumnValue } from "./columns.js";
import { type Count, LineDecoder } from "./format.js";

const DEFAULT_SEPARATOR = /[\s,;]+/;
/** `key: value` has a space after the colon that the default separator would split on: join it back first. */
const COLON_SPACE = /:\s+/g;

export class LinesDecoder extends LineDecoder {
  private readonly columns: Map<string, Column>;
  private readonly separator: string | RegExp;

  constructor(
    separator: string | undefined,
    columns: readonly ColumnOptions[] | undefined,
    private readonly count: Count,
  ) {
    super();
    this.separator = separator ?? DEFAULT_SEPARATOR;
    this.columns = columnsByName(columns);
  }

  protected decodeLine(text: string, out: PointInput[]): void {
    const before = out.length;
    const normalised = this.separator === DEFAULT_SEPARATOR ? text.replace(COLON_SPACE, ":") : text;
    for (const pair of normalised.split(this.separator)) {
      if (pair === "") continue;
      const equals = pair.indexOf("=");
      const colon = pair.indexOf(":");
      const at = equals === -1 ? colon : colon === -1 ? equals : Math.min(equals, colon);
      if (at <= 0) continue;
      pushColumnValue(columnFor(pair.slice(0, at).trim(), this.columns), pair.slice(at + 1), out, this.count);
    }
    if (out.length === before) this.count("frames_without_values");
  }
}
