/**
 * InfluxDB line protocol, as Telegraf and Node-RED publish it over MQTT:
 * `measurement[,tag=value…] field=value[,field=value…] [timestamp]`, one or more lines.
 * Pure. Escaping follows influxdata/line-protocol v2 (a backslash escapes only the characters
 * special where it stands, and is literal before anything else); errors carry the line and
 * column, in the wording Telegraf's tests assert, and a bad line never hides the good ones.
 */

export type InfluxFieldValue =
  | { type: "float"; value: number }
  | { type: "int" | "uint"; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string };

export interface InfluxLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, InfluxFieldValue>;
  /** As written, in the unit of the `precision` option; undefined when the line has none. */
  timestamp?: bigint;
}

export interface InfluxError {
  line: number;
  column: number;
  message: string;
}

export interface InfluxResult {
  lines: InfluxLine[];
  errors: InfluxError[];
}

const INT_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2n ** 63n);
const UINT_MAX = 2n ** 64n - 1n;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const TRUE = new Set(["t", "T", "true", "True", "TRUE"]);
const FALSE = new Set(["f", "F", "false", "False", "FALSE"]);

class LineError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses every line of `text`; blank lines and # comments are skipped. */
export function parseInflux(text: string): InfluxResult {
  const result: InfluxResult = { lines: [], errors: [] };
  let pos = 0;
  let lineNumber = 1;
  while (pos < text.length) {
    const lineStart = pos;
    try {
      const parser = new LineParser(text, pos);
      const line = parser.parse();
      pos = parser.pos;
      if (line) result.lines.push(line);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      result.errors.push({ line: lineNumber, column: error.offset - lineStart + 1, message: error.message });
      pos = endOfLine(text, error.offset);
    }
    // Quoted strings may hold newlines: count the ones the line spanned, then step over its end.
    for (let i = lineStart; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) lineNumber++;
    if (pos < text.length && text.charCodeAt(pos) === 10) {
      pos++;
      lineNumber++;
    }
  }
  return result;
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end < 0 ? text.length : end;
}

class LineParser {
  constructor(
    private readonly text: string,
    public pos: number,
  ) {}

  parse(): InfluxLine | undefined {
    const text = this.text;
    while (this.pos < text.length && (text[this.pos] === " " || text[this.pos] === "\t" || text[this.pos] === "\r")) this.pos++;
    if (this.pos >= text.length || text[this.pos] === "\n") return undefined;
    if (text[this.pos] === "#") {
      this.pos = endOfLine(text, this.pos);
      return undefined;
    }
    const measurement = this.token(", \n", ", ");
    if (measurement === "") throw new LineError(this.pos, "expected measurement name");
    const tags: Record<string, string> = {};
    while (text[this.pos] === ",") {
      this.pos++;
      const key = this.token("= ,\n", ",= ");
      if (key === "") throw new LineError(this.pos, "empty tag name");
      if (text[this.pos] !== "=") throw new LineError(this.pos, `expected '=' after tag key "${key}"`);
      this.pos++;
      const value = this.token(", \n", ",= ");
      if (value === "") throw new LineError(this.pos, `expected tag value after tag key "${key}", but none found`);
      tags[key] = value;
    }
    const fields: Record<string, InfluxFieldValue> = {};
    if (this.pos >= text.length || text[this.pos] === "\n") {
      // A series key alone (Telegraf's series parser accepts it): tags, no fields, nothing to emit.
      if (Object.keys(tags).length > 0) return { measurement, tags, fields };
      throw new LineError(this.pos, "empty tag name");
    }
    this.pos++; // the space before the fields
    do {
      if (text[this.pos] === ",") this.pos++;
      const key = this.token("= ,\n", ",= ");
      if (key === "") throw new LineError(this.pos, "expected field key");
      if (text[this.pos] !== "=") throw new LineError(this.pos, `expected '=' after field key "${key}"`);
      this.pos++;
      fields[key] = this.fieldValue(key);
    } while (text[this.pos] === ",");
    let timestamp: bigint | undefined;
    if (text[this.pos] === " ") {
      this.pos++;
      const start = this.pos;
      const token = this.token(" \n", "");
      if (token !== "") {
        if (!INTEGER.test(token)) throw new LineError(start, "invalid timestamp");
        timestamp = BigInt(token);
      }
    }
    while (this.pos < text.length && (text[this.pos] === " " || text[this.pos] === "\r")) this.pos++;
    if (this.pos < text.length && text[this.pos] !== "\n") throw new LineError(this.pos, "unexpected text after the timestamp");
    return { measurement, tags, fields, timestamp };
  }

  /** Reads up to an unescaped stop character; a backslash escapes only `escapable` and is literal before anything else. */
  private token(stops: string, escapable: string): string {
    const text = this.text;
    let out = "";
    let start = this.pos;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === "\\" && this.pos + 1 < text.length && escapable.includes(text[this.pos + 1])) {
        out += text.slice(start, this.pos) + text[this.pos + 1];
        this.pos += 2;
        start = this.pos;
        continue;
      }
      if (stops.includes(c)) break;
      this.pos++;
    }
    return out + text.slice(start, this.pos);
  }

  private fieldValue(key: string): InfluxFieldValue {
    const text = this.text;
    const start = this.pos;
    if (text[this.pos] === '"') {
      let out = "";
      let from = ++this.pos;
      while (this.pos < text.length && text[this.pos] !== '"') {
        if (text[this.pos] === "\\" && (text[this.pos + 1] === '"' || text[this.pos + 1] === "\\")) {
          out += text.slice(from, this.pos) + text[this.pos + 1];
          this.pos += 2;
          from = this.pos;
        } else this.pos++;
      }
      if (this.pos >= text.length) throw new LineError(start, `unterminated string value for field key "${key}"`);
      out += text.slice(from, this.pos);
      this.pos++;
      return { type: "string", value: out };
    }
    while (this.pos < text.length && text[this.pos] !== "," && text[this.pos] !== " " && text[this.pos] !== "\n") this.pos++;
    const token = text.slice(start, this.pos);
    if (token === "") throw new LineError(start, `expected field value after field key "${key}"`);
    if (TRUE.has(token)) return { type: "bool", value: true };
    if (FALSE.has(token)) return { type: "bool", value: false };
    const last = token[token.length - 1];
    if (last === "i" || last === "u") {
      const digits = token.slice(0, -1);
      if (INTEGER.test(digits)) {
        const value = BigInt(digits);
        const inRange = last === "i" ? value >= INT_MIN && value <= INT_MAX : value >= 0n && value <= UINT_MAX;
        if (!inRange) throw new LineError(start, `cannot parse value for field key "${key}": line-protocol value out of range`);
        return { type: last === "i" ? "int" : "uint", value };
      }
    }
    const first = token[0];
    if ((first >= "0" && first <= "9") || first === "-" || first === "+" || first === ".") {
      if (!FLOAT.test(token)) throw new LineError(start, `cannot parse value for field key "${key}": invalid float value syntax`);
      return { type: "float", value: Number(token) };
    }
    throw new LineError(start, "field value has unrecognized type");
  }
}
