/**
 * The `binary` format: fixed-layout frames, each field read by the shared typed-field decoder
 * (the one Modbus and BLE use), scaled, and tagged with its unit. A frame too short for a field
 * loses that field only (counted as short_frames, once per frame).
 */
import { FieldOutOfRangeError } from "../../../src/decoding/typed-field.js";
import { type LayoutField, layoutFieldValue } from "../../../src/decoding/typed-field-schema.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import type { Count, FrameDecoder } from "./format.js";

interface CompiledField {
  field: LayoutField;
  tags?: Readonly<Record<string, string>>;
}

export class BinaryDecoder implements FrameDecoder {
  private readonly fields: CompiledField[];

  constructor(
    fields: readonly LayoutField[],
    private readonly count: Count,
  ) {
    this.fields = fields.map((field) => ({ field, tags: field.unit ? Object.freeze({ unit: field.unit }) : undefined }));
  }

  decode(frame: Buffer, out: PointInput[]): void {
    let short = false;
    for (const { field, tags } of this.fields) {
      let value: number | string | boolean;
      try {
        value = layoutFieldValue(frame, field);
      } catch (error) {
        if (!(error instanceof FieldOutOfRangeError)) throw error;
        short = true;
        continue;
      }
      if (typeof value === "number" && !Number.isFinite(value)) {
        this.count("non_finite_values");
        continue;
      }
      out.push(tags ? { metric: field.name, value, tags } : { metric: field.name, value });
    }
    if (short) this.count("short_frames");
  }
}
