/**
 * One JSON field-path mapper for every adapter that receives JSON documents (MQTT `json`, serial
 * `json` lines): a parsed document becomes a flat list of leaves named by their path
 * (`AM2301.Temperature`, `sensors.0.t`), filtered by globs. Pure, no I/O. Compile the options
 * once with `createJsonFlattener`; the returned function runs per message.
 *
 * Globs match whole leaf paths: `*` stands for any characters within one path segment, `**` for
 * any number of whole segments (`*.Temperature` matches `AM2301.Temperature`, `**.t` matches
 * `sensors.0.t` and `t`).
 */

export type BooleanMode = "metric" | "event";

export interface JsonFlattenOptions {
  /** Leaf-path globs to keep; default every number, boolean and string leaf. */
  fields?: readonly string[];
  /** Paths that are never leaves (e.g. the timestamp field). */
  skip?: readonly string[];
  /** "21.5" becomes the number 21.5 instead of an event. */
  numericStrings?: boolean;
  /** metric: true/false → 1/0 (default); event: kept as a boolean, which the pipeline sends as an event. */
  booleans?: BooleanMode;
  /** Deeper documents are refused (default 16). */
  maxDepth?: number;
  /** Documents with more leaves are refused (default 10,000). */
  maxLeaves?: number;
}

export interface JsonLeaf {
  path: string;
  value: number | string | boolean;
}

/** A document the mapper refuses as a whole: too deep, too many leaves. Counted by the caller. */
export class JsonShapeError extends Error {}

export type JsonFlattener = (document: unknown) => JsonLeaf[];

const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

export function createJsonFlattener(options: JsonFlattenOptions = {}): JsonFlattener {
  const maxDepth = options.maxDepth ?? 16;
  const maxLeaves = options.maxLeaves ?? 10_000;
  const booleansAsEvents = options.booleans === "event";
  const numericStrings = options.numericStrings === true;
  const keep = options.fields && options.fields.length > 0 ? globMatcher(options.fields) : undefined;
  const skip = new Set(options.skip ?? []);

  return (document) => {
    const leaves: JsonLeaf[] = [];
    let seen = 0;
    // Depth-first with an explicit stack: a hostile document cannot blow the call stack before
    // the depth check, and no closure is allocated per node.
    const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: document, path: "", depth: 0 }];
    while (stack.length > 0) {
      const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
      if (value === null || value === undefined) continue;
      if (typeof value === "object") {
        if (depth >= maxDepth) throw new JsonShapeError(`nested deeper than ${maxDepth} levels at "${path}"`);
        const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value);
        // Pushed in reverse so leaves come out in document order.
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, child] = entries[i];
          stack.push({ value: child, path: path === "" ? key : `${path}.${key}`, depth: depth + 1 });
        }
        continue;
      }
      // Counted before filtering, so a huge document costs bounded work even when few leaves are kept.
      if (++seen > maxLeaves) throw new JsonShapeError(`more than ${maxLeaves} leaves in one document`);
      const leafPath = path === "" ? "value" : path;
      if (skip.has(leafPath) || (keep && !keep(leafPath))) continue;
      const leafValue = toLeafValue(value, booleansAsEvents, numericStrings);
      if (leafValue !== undefined) leaves.push({ path: leafPath, value: leafValue });
    }
    return leaves;
  };
}

function toLeafValue(value: unknown, booleansAsEvents: boolean, numericStrings: boolean): number | string | boolean | undefined {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : undefined;
    case "boolean":
      return booleansAsEvents ? value : value ? 1 : 0;
    case "string":
      return numericStrings && NUMERIC.test(value) ? Number(value) : value;
    default:
      return undefined;
  }
}

/** Compiles globs into one predicate over leaf paths. */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const sources = globs.map((glob) =>
    glob
      .split(".")
      .map((segment) => (segment === "**" ? "(?:[^.]+\\.)*" : `${segment.split("*").map(escapeRegExp).join("[^.]*")}\\.`))
      .join(""),
  );
  // Every segment source ends in "\." so they concatenate; the path gets a trailing "." to match.
  const pattern = new RegExp(`^(?:${sources.join("|")})$`);
  return (path) => pattern.test(`${path}.`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value at a dotted path (`Time`, `meta.ts`, `readings.0.t`), or undefined. */
export function valueAtPath(document: unknown, path: string): unknown {
  let current: unknown = document;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export const TIMESTAMP_FORMATS = ["iso", "unix_s", "unix_ms", "unix_us", "unix_ns"] as const;
export type TimestampFormat = (typeof TIMESTAMP_FORMATS)[number];

const UNIX_DIVISOR: Record<Exclude<TimestampFormat, "iso">, number> = { unix_s: 1e-3, unix_ms: 1, unix_us: 1e3, unix_ns: 1e6 };

/**
 * A timestamp field's value as milliseconds since the epoch, or undefined when it is missing or
 * does not parse (the caller then stamps the point on arrival and counts the bad timestamp).
 * ISO times without a zone are taken as UTC: a device that omits the zone almost always means
 * its UTC clock, and the box's own zone is no better a guess.
 */
export function parseTimestamp(value: unknown, format: TimestampFormat): number | undefined {
  if (format === "iso") {
    if (typeof value !== "string") return undefined;
    const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(value) || !/T|\d\d:\d\d/.test(value) ? value : `${value}Z`;
    const ms = Date.parse(zoned);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const number = typeof value === "number" ? value : typeof value === "string" && NUMERIC.test(value) ? Number(value) : Number.NaN;
  if (typeof value === "string" && format === "unix_ns" && /^\d{16,}$/.test(value.trim())) {
    // Nanoseconds overflow a double's exact range; BigInt keeps the millisecond digits right.
    return Number(BigInt(value.trim()) / 1_000_000n);
  }
  if (!Number.isFinite(number)) return undefined;
  return number / UNIX_DIVISOR[format];
}
