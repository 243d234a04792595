/**
 * Turns zod issues into config problems: the path is mapped back to the YAML node (line:col),
 * unknown keys get a "did you mean" from the keys the schema allows there, and messages are
 * phrased for someone editing a YAML file. Messages never quote a value at a secret path.
 */
import type { z } from "zod";
import { type ConfigProblem, didYouMean, formatPath } from "./problems.js";
import { positionOf, type YamlSource } from "./yaml-source.js";

export interface IssueScope {
  source: YamlSource;
  /** The whole document as plain data, to look at the value an issue is about. */
  root: unknown;
  /** Where the validated value sits in the document, e.g. ["adapters", "plc1"]. */
  basePath: PropertyKey[];
  /** The schema applied at basePath, to list the keys allowed where an unknown one was found. */
  schema: z.ZodType;
  /** Keys also allowed at basePath itself (the core keys next to an adapter's options). */
  extraRootKeys?: readonly string[];
  /** Formatted paths already reported (an unset ${VAR}, a missing !file): issues there would repeat it. */
  unresolved: ReadonlySet<string>;
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[], scope: IssueScope): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) collect(issue, [], scope, problems);
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.line}:${problem.col}:${problem.path}:${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return !isUnder(problem.path, scope.unresolved);
  });
}

/** Whether `path` or a path above it is unresolved: looks up each of its prefixes (a scan of the set per problem was quadratic). */
function isUnder(path: string, unresolved: ReadonlySet<string>): boolean {
  if (unresolved.size === 0) return false;
  for (let i = 0; i < path.length; i++) if ((path[i] === "." || path[i] === "[") && unresolved.has(path.slice(0, i))) return true;
  return unresolved.has(path);
}

function collect(issue: z.core.$ZodIssue, prefix: PropertyKey[], scope: IssueScope, out: ConfigProblem[]): void {
  const relative = [...prefix, ...issue.path];
  const path = [...scope.basePath, ...relative];
  const push = (at: PropertyKey[], message: string, target: "value" | "key" = "value") =>
    out.push({ file: scope.source.file, ...positionOf(scope.source, at, target), path: formatPath(at), message });

  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = schemaKeysAt(scope.schema, relative);
      if (relative.length === 0 && scope.extraRootKeys) allowed.push(...scope.extraRootKeys);
      for (const key of issue.keys) push([...path, key], `unknown key "${key}"${didYouMean(key, allowed)}`, "key");
      return;
    }
    case "invalid_union": {
      const branches = issue.errors;
      const simple = branches.every((branch) => branch.length === 1 && branch[0].code === "invalid_type" && branch[0].path.length === 0);
      if (simple || branches.length === 0) {
        const expected = [...new Set(branches.map((branch) => typeName((branch[0] as z.core.$ZodIssueInvalidType).expected)))];
        push(path, `expected ${expected.join(" or ")}, received ${describeValue(valueAt(scope.root, path))}`);
        return;
      }
      // The branch that got furthest (fewest complaints) is the one the author meant.
      const best = [...branches].sort((a, b) => a.length - b.length)[0];
      for (const inner of best) collect(inner, relative, scope, out);
      return;
    }
    case "invalid_type": {
      const value = valueAt(scope.root, path);
      if (value === undefined) {
        push(path, "required key is missing");
        return;
      }
      push(path, `expected ${typeName(issue.expected)}, received ${describeValue(value)}`);
      return;
    }
    case "invalid_value": {
      const value = valueAt(scope.root, path);
      const options = issue.values.map((option) => JSON.stringify(option)).join(", ");
      const hint = typeof value === "string" ? didYouMean(value, issue.values.map(String)) : "";
      push(path, `expected one of ${options}${hint}`);
      return;
    }
    case "too_big":
    case "too_small":
      // A schema's own message (e.g. "a source_id is at most 256 bytes") says it best; zod's default is rephrased.
      push(path, /^Too (big|small)/.test(issue.message) ? boundMessage(issue, valueAt(scope.root, path)) : issue.message);
      return;
    default:
      push(path, issue.message.replace(/^Invalid (input|option): /, ""));
  }
}

function boundMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, value: unknown): string {
  const big = issue.code === "too_big";
  const limit = Number(big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum);
  const bound = issue.inclusive === false ? (big ? "less than" : "more than") : big ? "at most" : "at least";
  const plural = (one: string, many: string) => (limit === 1 ? one : many);
  switch (issue.origin) {
    case "number":
    case "int":
    case "bigint":
      return `expected ${bound} ${limit}, got ${String(value)}`;
    case "string":
      return !big && limit === 1 ? "must not be empty" : `expected ${bound} ${limit} ${plural("character", "characters")}`;
    case "array":
    case "set":
      return !big && limit === 1 ? "needs at least one entry" : `expected ${bound} ${limit} ${plural("entry", "entries")}`;
    default:
      return issue.message;
  }
}

/** YAML words for zod's type names. */
function typeName(expected: string): string {
  return expected === "object" || expected === "record" ? "a mapping" : expected === "array" ? "a list" : expected;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** A zod schema seen through its definition, enough to walk it without depending on each class. */
interface LooseDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
}

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as LooseDef;

/** Strips wrappers (optional, default, pipe…) and spreads unions, leaving the schemas that hold structure. */
function concrete(schema: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  if (def.innerType) return concrete(def.innerType, depth + 1);
  if (def.type === "pipe" && def.in) return concrete(def.in, depth + 1);
  if (def.type === "lazy" && def.getter) return concrete(def.getter(), depth + 1);
  if (def.type === "union" && def.options) return def.options.flatMap((option) => concrete(option, depth + 1));
  if (def.type === "intersection" && def.left && def.right) return [...concrete(def.left, depth + 1), ...concrete(def.right, depth + 1)];
  return [schema];
}

function child(schema: z.ZodType, segment: PropertyKey): z.ZodType[] {
  const def = defOf(schema);
  if (def.type === "object" && def.shape) return def.shape[String(segment)] ? [def.shape[String(segment)]] : [];
  if (def.type === "array" && def.element) return [def.element];
  if (def.type === "record" && def.valueType) return [def.valueType];
  if (def.type === "tuple" && def.items && typeof segment === "number") return def.items[segment] ? [def.items[segment]] : [];
  return [];
}

/** The keys an object schema allows at `path` (from every union member that could be there). */
export function schemaKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = concrete(schema);
  for (const segment of path) current = current.flatMap((s) => child(s, segment)).flatMap((s) => concrete(s));
  const keys = new Set<string>();
  for (const s of current) {
    const def = defOf(s);
    if (def.type === "object" && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}
