/**
 * Resolves what a config value refers to outside the file, in place in the parsed document:
 * `${VAR}`, `${VAR:-default}` and `${VAR-default}` from the environment, and `!file PATH` secrets
 * (relative to the config's folder; bare names are looked up in systemd's `$CREDENTIALS_DIRECTORY`
 * first, so `LoadCredential=` works). `$${` writes a literal `${`.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Scalar } from "yaml";
import { type ConfigProblem, formatPath } from "./problems.js";
import { positionAt, type YamlSource } from "./yaml-source.js";

export interface ResolvedReferences {
  problems: ConfigProblem[];
  /** Values that must never be printed: !file contents and values under secret-looking keys. */
  secrets: string[];
  /** Formatted paths whose value could not be resolved: schema errors there would only repeat the problem. */
  unresolved: Set<string>;
}

/** Keys whose values are treated as secrets even when written inline. */
const SECRET_KEY = /(api_key|apikey|password|passwd|secret|token|credential)/i;
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/s;

interface Context {
  source: YamlSource;
  env: NodeJS.ProcessEnv;
  dir: string;
  result: ResolvedReferences;
  files: Array<{ node: Scalar; path: PropertyKey[] }>;
}

export async function resolveReferences(source: YamlSource, env: NodeJS.ProcessEnv, dir: string): Promise<ResolvedReferences> {
  const result: ResolvedReferences = { problems: [], secrets: [], unresolved: new Set() };
  const context: Context = { source, env, dir, result, files: [] };
  walk(context, source.doc.contents as Node | null, []);
  await Promise.all(context.files.map((entry) => readSecretFile(context, entry.node, entry.path)));
  return result;
}

function walk(context: Context, node: Node | null, nodePath: PropertyKey[]): void {
  if (node === null || isAlias(node)) return; // an alias repeats its anchor, which is resolved where it stands
  if ((isMap(node) || isSeq(node)) && node.tag === "!file") {
    const position = positionAt(context.source, node.range?.[0] ?? 0);
    report(context, position, nodePath, "!file takes a file path (a scalar), not a mapping or a list");
    context.result.unresolved.add(formatPath(nodePath));
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      walk(context, pair.value as Node | null, [...nodePath, key]);
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) walk(context, item as Node | null, [...nodePath, index]);
  } else if (isScalar(node)) {
    if (typeof node.value === "string" && node.value.includes("${")) substitute(context, node, nodePath);
    if (node.tag === "!file") context.files.push({ node, path: nodePath });
    else if (typeof node.value === "string" && SECRET_KEY.test(String(nodePath.at(-1) ?? ""))) context.result.secrets.push(node.value);
  }
}

function substitute(context: Context, node: Scalar, nodePath: PropertyKey[]): void {
  const text = node.value as string;
  const raw = node.range ? context.source.text.slice(node.range[0], node.range[1]) : "";
  let failed = false;
  let whole = false;
  const replaced = text.replace(REFERENCE, (match: string, body: string | undefined, offset: number) => {
    if (body === undefined) return "${"; // the `$${` escape
    whole = offset === 0 && match.length === text.length;
    const parsed = REFERENCE_BODY.exec(body);
    const problemAt = () => referencePosition(context, node, raw, match);
    if (!parsed) {
      failed = true;
      report(context, problemAt(), nodePath, `"${match}" is not a valid reference; write \${NAME}, \${NAME:-default} or \${NAME-default}`);
      return match;
    }
    const [, name, operator, fallback] = parsed;
    const value = context.env[name];
    if (value !== undefined && !(operator === ":-" && value === "")) return value;
    if (operator !== undefined) return fallback ?? "";
    failed = true;
    report(context, problemAt(), nodePath, `environment variable ${name} is not set (give a default with \${${name}:-value})`);
    return match;
  });
  if (failed) {
    context.result.unresolved.add(formatPath(nodePath));
    return;
  }
  if (text.replace(REFERENCE, "").includes("${")) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the YAML syntax.
    report(context, referencePosition(context, node, raw, "${"), nodePath, 'unclosed "${": a reference ends with "}"');
    context.result.unresolved.add(formatPath(nodePath));
    return;
  }
  // `port: ${PORT}` should be the number 502, as if written inline; a quoted "${PORT}" stays a string.
  node.value = whole && node.type === "PLAIN" && node.tag === undefined ? retype(replaced) : replaced;
}

function retype(text: string): string | number | boolean {
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text, 16);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

/** The reference's own column when it can be found in the source text, else the scalar's start. */
function referencePosition(context: Context, node: Scalar, raw: string, match: string) {
  const start = node.range?.[0] ?? 0;
  const index = raw.indexOf(match);
  return positionAt(context.source, start + Math.max(0, index));
}

function report(context: Context, position: { line: number; col: number }, nodePath: PropertyKey[], message: string) {
  context.result.problems.push({ file: context.source.file, ...position, path: formatPath(nodePath), message });
}

/** A secret is a key or a password: anything bigger is not the file that was meant. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

class SecretFileRefused extends Error {}

/**
 * Reads a regular file of at most MAX_SECRET_FILE_BYTES. Opened non-blocking and checked before
 * reading: a FIFO would hang `check` for good, and /dev/urandom would fill the memory.
 */
async function readSmallRegularFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const kind = stat.isDirectory()
        ? "it is a folder"
        : stat.isFIFO()
          ? "it is a FIFO (named pipe)"
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? "it is a device"
            : stat.isSocket()
              ? "it is a socket"
              : "it is not a regular file";
      throw new SecretFileRefused(`${kind}; a secret file is a regular file`);
    }
    const tooBig = () =>
      new SecretFileRefused(`it is larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB; a secret file holds one key or password`);
    if (stat.size > MAX_SECRET_FILE_BYTES) throw tooBig();
    // Read one byte past the limit: a file that grew since fstat is refused too.
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SECRET_FILE_BYTES) throw tooBig();
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    await handle.close();
  }
}

/** Candidate files for a `!file` path, first match wins. */
export function secretFileCandidates(reference: string, configDir: string, env: NodeJS.ProcessEnv): string[] {
  if (path.isAbsolute(reference)) return [reference];
  const bare = !reference.includes("/") && !reference.includes("\\");
  const local = path.resolve(configDir, reference);
  const credentials = env.CREDENTIALS_DIRECTORY;
  return bare && credentials ? [path.join(credentials, reference), local] : [local];
}

async function readSecretFile(context: Context, node: Scalar, nodePath: PropertyKey[]): Promise<void> {
  const position = positionAt(context.source, node.range?.[0] ?? 0);
  const formatted = formatPath(nodePath);
  if (context.result.unresolved.has(formatted)) return;
  const reference = typeof node.value === "string" ? node.value.trim() : "";
  if (reference === "") {
    report(context, position, nodePath, "!file needs a file path, e.g. !file api_key or !file /run/secrets/api_key");
    context.result.unresolved.add(formatted);
    return;
  }
  const candidates = secretFileCandidates(reference, context.dir, context.env);
  for (const candidate of candidates) {
    let contents: string;
    try {
      contents = (await readSmallRegularFile(candidate)).replace(/[\r\n]+$/, "");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      // Only the path and the reason: never anything read from the file.
      const reason = error instanceof SecretFileRefused ? error.message : code === "EACCES" ? "permission denied" : (code ?? "read error");
      report(context, position, nodePath, `cannot read secret file ${candidate}: ${reason}`);
      context.result.unresolved.add(formatted);
      return;
    }
    node.value = contents;
    context.result.secrets.push(contents);
    return;
  }
  const tried = candidates.length > 1 ? ` (looked in ${candidates.join(" and ")})` : "";
  report(context, position, nodePath, `secret file ${candidates.at(-1)} does not exist${tried}`);
  context.result.unresolved.add(formatted);
}
