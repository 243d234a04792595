/**
 * The `json` format: one JSON document per frame (JSON lines), flattened to leaf points by the
 * shared mapper that MQTT's json format uses (`a.b.0.c` paths, glob filters), optionally stamped
 * from a timestamp field in the document.
 */
import {
  createJsonFlattener,
  type JsonFlattener,
  JsonShapeError,
  parseTimestamp,
  type TimestampFormat,
  valueAtPath,
} from "../../../src/decoding/json-fields.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import type { Count, FrameDecoder } from "./format.js";

export interface JsonSettings {
  fields?: readonly string[];
  timestampField?: string;
  timestampFormat: TimestampFormat;
  numericStrings: boolean;
}

export class JsonDecoder implements FrameDecoder {
  private readonly flatten: JsonFlattener;

  constructor(
    private readonly settings: JsonSettings,
    private readonly count: Count,
  ) {
    this.flatten = createJsonFlattener({
      fields: settings.fields,
      skip: settings.timestampField ? [settings.timestampField] : undefined,
      numericStrings: settings.numericStrings,
    });
  }

  decode(frame: Buffer, out: PointInput[]): void {
    const text = frame.toString("utf8").trim();
    if (text === "") return;
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      this.count("bad_json");
      return;
    }
    let timestamp: number | undefined;
    if (this.settings.timestampField) {
      timestamp = parseTimestamp(valueAtPath(document, this.settings.timestampField), this.settings.timestampFormat);
      if (timestamp === undefined) this.count("bad_timestamps");
    }
    try {
      for (const leaf of this.flatten(document)) {
        out.push(timestamp === undefined ? { metric: leaf.path, value: leaf.value } : { metric: leaf.path, value: leaf.value, timestamp });
      }
    } catch (error) {
      if (error instanceof JsonShapeError) {
        this.count("refused_json");
        return;
      }
      throw error;
    }
  }
}
