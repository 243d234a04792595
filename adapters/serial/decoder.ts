/** Picks the frame decoder for the configured `format`. */
import { BinaryDecoder } from "./formats/binary.js";
import { CsvDecoder } from "./formats/csv.js";
import type { Count, FrameDecoder } from "./formats/format.js";
import { JsonDecoder } from "./formats/json.js";
import { LinesDecoder } from "./formats/lines.js";
import { RegexDecoder } from "./formats/regex.js";
import { NmeaDecoder } from "./nmea/decoder.js";
import type { SerialOptions } from "./options.js";

export function createDecoder(options: SerialOptions, count: Count): FrameDecoder {
  switch (options.format) {
    case "nmea":
      return new NmeaDecoder(
        { requireChecksum: options.require_checksum, proprietary: options.proprietary, timeSource: options.time_source },
        count,
      );
    case "lines":
      return new LinesDecoder(options.separator, options.columns, count);
    case "csv":
      return new CsvDecoder(options.separator ?? ",", options.columns, count);
    case "json":
      return new JsonDecoder(
        {
          fields: options.json_fields,
          timestampField: options.timestamp_field,
          timestampFormat: options.timestamp_format,
          numericStrings: options.numeric_strings,
        },
        count,
      );
    case "regex":
      return new RegexDecoder(options.pattern ?? "", options.columns, count);
    case "binary":
      return new BinaryDecoder(options.fields ?? [], count);
  }
}
