/**
 * The `csv` format: one row per frame. Columns come from `columns` (in order), else from a header
 * row. A row whose every field is non-numeric is a header: it names the columns when none are
 * declared, and is skipped when they are. Rows before any header (the bridge started mid-stream,
 * the device printed its header at boot) are counted (rows_without_header) until one comes.
 * Quoting: a field wrapped in double quotes loses them; separators inside quotes are not
 * supported (instrument CSV rarely has them).
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import type { ColumnOptions } from "../options.js";
import { autoColumn, type Column, declaredColumn, pushColumnValue } from "./columns.js";
import { type Count, LineDecoder } from "./format.js";

const NUMBER = /^\s*"?[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"?\s*$/;

export class CsvDecoder extends LineDecoder {
  private columns: Column[] | undefined;
  private readonly declared: boolean;

  constructor(
    private readonly separator: string,
    columns: readonly ColumnOptions[] | undefined,
    private readonly count: Count,
  ) {
    super();
    this.declared = columns !== undefined && columns.length > 0;
    this.columns = this.declared ? columns?.map(declaredColumn) : undefined;
  }

  protected decodeLine(text: string, out: PointInput[]): void {
    const fields = text.split(this.separator).map(unquote);
    if (fields.every((field) => field.trim() === "" || !NUMBER.test(field))) {
      if (!this.declared) this.columns = fields.map(autoColumn);
      return;
    }
    const columns = this.columns;
    if (!columns) {
      this.count("rows_without_header");
      return;
    }
    if (fields.length !== columns.length) this.count("rows_with_wrong_field_count");
    const n = Math.min(fields.length, columns.length);
    for (let i = 0; i < n; i++) pushColumnValue(columns[i], fields[i], out, this.count);
  }
}

function unquote(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}
