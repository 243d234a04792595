/**
 * The YAML side of the config: parse with positions kept, turn parser errors into problems, and
 * find the node behind a path so schema errors can point at a line and column.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from "yaml";
import { type ConfigProblem, formatPath } from "./problems.js";

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Parser errors and warnings, as problems. */
  problems: ConfigProblem[];
  /** True when the document is too broken to validate (anything but duplicate keys). */
  fatal: boolean;
}

/** `!file` is resolved after parsing (it needs the config folder and async I/O); here it only keeps its text. */
const FILE_TAG = { tag: "!file", resolve: (text: string) => text };

const MESSAGES: Record<string, string> = {
  TAB_AS_INDENT: "a tab is used for indentation; YAML indents with spaces only",
  DUPLICATE_KEY: "duplicate key; each key may appear once in a mapping",
};

export function parseYaml(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are found below in one pass: the parser's own check (uniqueKeys) scans the
  // mapping for every key, quadratic in its size.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true, customTags: [FILE_TAG] });
  const problems: ConfigProblem[] = [];
  let fatal = false;
  const syntaxErrorLines = new Set<number>();
  for (const error of doc.errors) {
    const position = lineCounter.linePos(error.pos[0]);
    fatal = true;
    // The parser often trips several times over one mistake; the first error on a line is the useful one.
    if (syntaxErrorLines.has(position.line)) continue;
    syntaxErrorLines.add(position.line);
    let message = MESSAGES[error.code] ?? `YAML syntax error: ${firstLine(error.message)}`;
    // `{ port: ${PORT} }`: braces of a reference end a flow mapping unless the value is quoted.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the YAML syntax.
    if (!MESSAGES[error.code] && lineAt(text, error.pos[0]).includes("${")) message += ' (inside { } or [ ], quote a reference: "${VAR}")';
    problems.push({ file, ...position, path: "", message });
  }
  for (const duplicate of duplicateKeys(doc.contents as Node | null)) {
    problems.push({ file, ...lineCounter.linePos(duplicate.offset), path: duplicate.path, message: MESSAGES.DUPLICATE_KEY });
  }
  for (const warning of doc.warnings) {
    const position = lineCounter.linePos(warning.pos[0]);
    let message = `YAML: ${firstLine(warning.message)}`;
    if (warning.code === "TAG_RESOLVE_FAILED") {
      // !file on a mapping or a list is reported with its path when references are resolved.
      if (/!file\b/.test(warning.message)) continue;
      message = `${firstLine(warning.message).replace("Unresolved tag", "unknown tag")} (the only tag supported is !file)`;
    }
    problems.push({ file, ...position, path: "", message });
  }
  return { file, text, doc, lineCounter, problems, fatal };
}

function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const end = text.indexOf("\n", offset);
  return text.slice(start, end < 0 ? undefined : end);
}

function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}

/** Every mapping key that repeats an earlier key of its mapping, with its offset and formatted path, in one walk. */
function duplicateKeys(root: Node | null): { offset: number; path: string }[] {
  const found: { offset: number; path: string }[] = [];
  const walk = (node: Node | null, nodePath: PropertyKey[]) => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const childPath = [...nodePath, String(pair.key.value)];
        if (seen.has(pair.key.value)) found.push({ offset: pair.key.range?.[0] ?? 0, path: formatPath(childPath) });
        seen.add(pair.key.value);
        walk(pair.value as Node | null, childPath);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item as Node | null, [...nodePath, index]);
    }
  };
  walk(root, []);
  return found;
}

export function positionAt(source: YamlSource, offset: number): Position {
  return source.lineCounter.linePos(offset);
}

export interface Located {
  /** The deepest node reached along the path (the value node when the whole path exists). */
  node?: Node;
  /** The key node of the mapping entry holding `node`, when there is one. */
  keyNode?: Node;
  /** True when every segment of the path was found. */
  complete: boolean;
}

/** Walks the document along a path of mapping keys and sequence indexes. */
export function locate(source: YamlSource, path: readonly PropertyKey[]): Located {
  let node = source.doc.contents as Node | null;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(source.doc) ?? null;
    let next: { node: Node | null; keyNode?: Node } | undefined;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(segment));
      if (pair) next = { node: (pair.value as Node | null) ?? null, keyNode: pair.key as Node };
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item) next = { node: item };
    }
    if (!next) return { node: node ?? undefined, keyNode, complete: false };
    node = next.node;
    keyNode = next.keyNode;
  }
  return { node: node ?? undefined, keyNode, complete: true };
}

const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/**
 * A mapping's entries by key, built once per mapping: looking each problem's key up by a scan
 * made `check` quadratic (30 k unknown keys in one mapping took 13 s, then 40 s under load).
 * The first entry wins, as the scan did; the index assumes the document is no longer edited.
 */
function pairsByKey(node: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(node);
  if (!index) {
    index = new Map();
    for (const item of node.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const key = String(item.key.value);
      if (!index.has(key)) index.set(key, item);
    }
    pairIndex.set(node, index);
  }
  return index;
}

/**
 * Where a problem about `path` should point: the value itself; for a key that should not be
 * there, the key; for a missing key, the mapping that lacks it (its key, so `plexus:` is named).
 */
export function positionOf(source: YamlSource, path: readonly PropertyKey[], target: "value" | "key" = "value"): Position {
  const found = locate(source, path);
  let offset: number | undefined;
  if (found.complete) {
    const preferred = target === "key" ? (found.keyNode ?? found.node) : (found.node ?? found.keyNode);
    offset = rangeStart(preferred) ?? rangeStart(found.keyNode);
  } else {
    offset = rangeStart(found.keyNode) ?? rangeStart(found.node);
  }
  return offset === undefined ? { line: 1, col: 1 } : positionAt(source, offset);
}

function rangeStart(node: Node | undefined): number | undefined {
  // A value that is absent (`key:` with nothing after it) has an empty range at the end of the key line.
  if (!node?.range) return undefined;
  if (isScalar(node) && node.value === null && node.range[0] === node.range[1]) return undefined;
  return node.range[0];
}
