/**
 * A fast path for the telemetry frames the bridge writes: it matches the raw bytes of a text
 * message against a strict pattern and answers either "a valid telemetry frame of N points" or
 * undefined ("not sure"). On undefined the message takes the full path (JSON.parse +
 * pointError), which decides and words any error. So this path can make the gateway faster but
 * never more lenient: it vouches only for messages that match, byte for byte, a small subset of
 * JSON (no whitespace, no escapes, the keys in the bridge's order) in which every point obeys
 * the rules of validate.ts. Anything else — an escape, an object value, a `source_id`, a number
 * that might not be finite, a point over a limit — goes the slow way.
 *
 * Parsing frames into objects was most of the local gateway's CPU; the bench runs it beside
 * the bridge on the same cores, and a count-only consumer never needs the objects.
 */

/** What a consumer that does not keep points may read of an accepted frame. */
export interface AcceptedFrame {
  readonly count: number;
  /** Point i's timestamp as sent (undefined when it has none). */
  timestamp(i: number): number | undefined;
}

// The message is read as latin1, one character per byte, so `{0,256}` counts UTF-8 bytes (ws
// has checked that a text message is valid UTF-8). A string body: no quote, backslash (escapes
// take the full path) or control character.
const TEXT = String.raw`[^"\\\x00-\x1f]`;
/**
 * A JSON number that is finite as a double: at most 200 integer digits and a two-digit
 * exponent stay below 1e300. Longer ones take the full path, which evaluates them.
 */
const NUMBER = String.raw`-?(?:0|[1-9]\d{0,199})(?:\.\d+)?(?:[eE][+-]?\d{1,2})?`;
const METRIC = `"${TEXT}{1,256}"`;
const TAG = `"${TEXT}{0,256}":"${TEXT}{0,256}"`;
const POINT = new RegExp(
  String.raw`\{"class":(?:"metric","metric":${METRIC},"value":${NUMBER}` +
    `|"event","metric":${METRIC},"value":(?:${NUMBER}|true|false|"${TEXT}{0,256}"))` +
    `,"timestamp":(${NUMBER})` +
    // Duplicate keys only leave JSON.parse fewer entries than counted here: never more lenient.
    String.raw`(?:,"tags":\{(?:${TAG}(?:,${TAG}){0,15})?\})?` +
    String.raw`(?:,"session_id":"${TEXT}*")?\}`,
  "y",
);
const FRAME_HEAD = '{"type":"telemetry","points":[';
const COMMA = 0x2c;

class Scan implements AcceptedFrame {
  constructor(
    private readonly text: string,
    readonly count: number,
    private readonly starts: Int32Array,
  ) {}

  timestamp(i: number): number {
    POINT.lastIndex = this.starts[i];
    return Number(POINT.exec(this.text)![1]);
  }
}

/** The frame's points if `data` is a valid telemetry frame of at most `maxPoints`, else undefined. */
export function scanTelemetry(data: Buffer, maxPoints: number): AcceptedFrame | undefined {
  const text = data.toString("latin1");
  if (!text.startsWith(FRAME_HEAD)) return undefined;
  let at = FRAME_HEAD.length;
  let starts = new Int32Array(Math.min(maxPoints, 8192));
  let count = 0;
  if (text.charCodeAt(at) !== 0x5d) {
    for (;;) {
      if (count === maxPoints) return undefined; // the full path words the "too many points" error
      if (count === starts.length) {
        const grown = new Int32Array(Math.min(maxPoints, starts.length * 2));
        grown.set(starts);
        starts = grown;
      }
      starts[count++] = at;
      POINT.lastIndex = at;
      if (!POINT.test(text)) return undefined;
      at = POINT.lastIndex;
      if (text.charCodeAt(at) !== COMMA) break;
      at++;
    }
  }
  if (at + 2 !== text.length || !text.endsWith("]}")) return undefined;
  return new Scan(text, count, starts);
}
