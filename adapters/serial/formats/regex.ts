/**
 * The `regex` format: each named group of `pattern` that matched becomes a point, typed by the
 * declared column of the same name (else a number when it reads as one). A frame the pattern
 * does not match is counted (unmatched_frames).
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import type { ColumnOptions } from "../options.js";
import { type Column, columnFor, columnsByName, pushColumnValue } from "./columns.js";
import { type Count, LineDecoder } from "./format.js";

export class RegexDecoder extends LineDecoder {
  private readonly pattern: RegExp;
  private readonly columns: Map<string, Column>;

  constructor(
    pattern: string,
    columns: readonly ColumnOptions[] | undefined,
    private readonly count: Count,
  ) {
    super();
    this.pattern = new RegExp(pattern);
    this.columns = columnsByName(columns);
  }

  protected decodeLine(text: string, out: PointInput[]): void {
    const groups = this.pattern.exec(text)?.groups;
    if (!groups) {
      this.count("unmatched_frames");
      return;
    }
    for (const name in groups) {
      const value = groups[name];
      if (value !== undefined) pushColumnValue(columnFor(name, this.columns), value, out, this.count);
    }
  }
}
