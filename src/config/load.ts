/**
 * loadConfig: the one way the daemon, `check`, `tail` and a SIGHUP reload read the config file.
 * It never throws for a mistake in the file; it returns every problem found, in file order.
 */

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import type { AdapterDefinition } from "../adapter-contract.js";
import { adapterTypes, loadAdapter } from "../adapters.js";
import { readErrorReason } from "../file-errors.js";
import type { QueueOptions } from "../pipeline/queue-options.js";
import type { ReportRule } from "../pipeline/report-rules.js";
import { type StatusSettings, statusSettings } from "../status/options.js";
import type { PlexusOptions } from "../uplink/options.js";
import { apiKeyFallback, urlProblems } from "./plexus-checks.js";
import { type ConfigProblem, didYouMean, formatPath, redactSecrets, sortProblems } from "./problems.js";
import { resolveReferences } from "./references.js";
import { ADAPTER_ID_PATTERN, adapterCoreSchema, CORE_ADAPTER_KEYS, coreConfigSchema, optionKeys } from "./schema.js";
import { parseYaml, positionOf, type YamlSource } from "./yaml-source.js";
import { issuesToProblems } from "./zod-issues.js";

export interface AdapterConfig {
  /** The YAML key: log scope, default metric prefix, command target. */
  id: string;
  type: string;
  /** This adapter's Plexus source: its own source_id, else plexus.source_id. */
  sourceId: string;
  /** Added before every metric name; `<id>.` unless configured ("" for none). */
  prefix: string;
  tags: Record<string, string>;
  stream: "always" | "on_demand";
  enabled: boolean;
  /** Report-by-exception rules for numeric points (empty: every point is sent). */
  report: ReportRule[];
  /** Parsed by the adapter's options schema (defaults applied, units converted), core keys removed. */
  options: Record<string, unknown>;
  definition: AdapterDefinition;
  /** Equal for two loads exactly when this adapter's settings are equal: a reload restarts it when this changes. */
  optionsKey: string;
}

export interface BridgeConfig {
  /** Absolute path of the config file. */
  file: string;
  /** Its folder: relative paths in the config are resolved against it. */
  dir: string;
  /** The `plexus:` section; its api_key is not enumerable, so printing this never shows it. */
  plexus: PlexusOptions;
  /** The API key (not enumerable: JSON.stringify and util.inspect leave it out). */
  apiKey?: string;
  queue: QueueOptions;
  /** Absolute, when configured. */
  stateDir?: string;
  log: { level: "debug" | "info" | "warn" | "error"; format: "text" | "json" };
  shutdownTimeoutMs: number;
  /** The status server (absent or false: off). Its token is not enumerable. */
  status?: StatusSettings | false;
  /** The bridge's own bridge.* points (absent or false: off). */
  telemetry?: { intervalMs: number } | false;
  adapters: AdapterConfig[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Also run each adapter's checkFiles() (DBC, register maps): the `check` command does, the daemon does not. */
  checkFiles?: boolean;
  /** The bridge will send (run, check): a config without an API key, and no $PLEXUS_API_KEY, is a problem. tail sends nothing. */
  needsApiKey?: boolean;
}

export interface LoadResult {
  config?: BridgeConfig;
  problems: ConfigProblem[];
}

export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const env = opts.env ?? process.env;
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    return { problems: [{ file, path: "", message: `cannot load the config: ${readErrorReason(error)}` }] };
  }

  const source = parseYaml(file, text);
  const problems = [...source.problems];
  if (source.fatal) return { problems: sortProblems(problems, file) };

  const references = await resolveReferences(source, env, dir);
  problems.push(...references.problems);
  const finish = (config?: BridgeConfig): LoadResult => {
    const sorted = sortProblems(redactSecrets(problems, references.secrets), file);
    return sorted.length > 0 ? { problems: sorted } : { config, problems: [] };
  };

  let root: unknown;
  try {
    root = source.doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // An alias that expands too far ("billion laughs") or refers to itself.
    problems.push({ file, line: 1, col: 1, path: "", message: `the YAML cannot be expanded: ${(error as Error).message}` });
    return finish();
  }
  if (isPlainObject(root)) {
    // `adapters:` with every adapter commented out reads as null: an empty section means its defaults.
    for (const section of ["queue", "log", "adapters"]) if (root[section] === null) delete root[section];
  }
  if (root === null || root === undefined) {
    problems.push({ file, line: 1, col: 1, path: "", message: "the config is empty; it needs at least plexus.source_id" });
    return finish();
  }
  const core = coreConfigSchema.safeParse(root);
  if (!core.success) {
    const scope = { source, root, basePath: [], schema: coreConfigSchema, unresolved: references.unresolved };
    problems.push(...issuesToProblems(core.error.issues, scope));
  }
  const rawAdapters = isPlainObject(root) && isPlainObject(root.adapters) ? root.adapters : {};
  const adapters: AdapterConfig[] = [];
  const defaultSourceId = core.success ? core.data.plexus.source_id : "";
  for (const [id, raw] of Object.entries(rawAdapters)) {
    const scope = { source, root, unresolved: references.unresolved, defaultSourceId, dir, checkFiles: opts.checkFiles === true };
    try {
      const adapter = await loadAdapterConfig(id, raw, scope, problems);
      if (adapter) adapters.push(adapter);
    } catch (error) {
      // An adapter's own refinement that throws is a bug there, not in the file: still a problem, not a crash.
      const position = positionOf(source, ["adapters", id], "key");
      problems.push({ file, ...position, path: `adapters.${id}`, message: `validating this adapter failed: ${(error as Error).message}` });
    }
  }
  const rawPlexus = isPlainObject(root) ? root.plexus : undefined;
  problems.push(...urlProblems(source, rawPlexus, references.unresolved));
  const fallback = apiKeyFallback(source, rawPlexus, env, opts.needsApiKey === true);
  if (fallback.problem) problems.push(fallback.problem);
  if (fallback.apiKey) references.secrets.push(fallback.apiKey);
  if (!core.success || problems.length > 0) return finish();

  const { plexus, queue, state_dir, log, shutdown_timeout, status, telemetry } = core.data;
  const { api_key: written, ...visiblePlexus } = plexus;
  const apiKey = written ?? fallback.apiKey;
  const config: BridgeConfig = {
    file: absolute,
    dir,
    plexus: hideKey(visiblePlexus, "api_key", apiKey) as PlexusOptions,
    queue,
    stateDir: state_dir === undefined ? undefined : path.resolve(dir, state_dir),
    log,
    shutdownTimeoutMs: shutdown_timeout,
    status: statusSettings(status),
    telemetry: telemetry === false ? false : { intervalMs: telemetry.interval },
    adapters,
  };
  return finish(hideKey(config, "apiKey", apiKey));
}

interface AdapterScope {
  source: YamlSource;
  root: unknown;
  unresolved: ReadonlySet<string>;
  defaultSourceId: string;
  dir: string;
  checkFiles: boolean;
}

async function loadAdapterConfig(id: string, raw: unknown, scope: AdapterScope, problems: ConfigProblem[]) {
  const { source } = scope;
  const basePath = ["adapters", id];
  const problem = (at: PropertyKey[], message: string, target: "value" | "key" = "value") =>
    problems.push({ file: source.file, ...positionOf(source, at, target), path: formatPath(at), message });
  const known = () => adapterTypes().join(", ");

  if (!ADAPTER_ID_PATTERN.test(id)) {
    const hint = `an adapter id is lower-case letters, digits and "_", starting with a letter (it becomes the metric prefix "<id>.")`;
    problem(basePath, hint, "key");
  }
  if (!isPlainObject(raw)) {
    problem(basePath, `an adapter is a mapping with at least a type (known types: ${known()})`);
    return undefined;
  }
  if (raw.type === undefined || typeof raw.type !== "string") {
    const what = raw.type === undefined ? "required key is missing" : "expected a string";
    problem([...basePath, "type"], `${what}; known adapter types: ${known()}`);
    return undefined;
  }
  let definition: AdapterDefinition;
  try {
    definition = await loadAdapter(raw.type);
  } catch (error) {
    if (!adapterTypes().includes(raw.type)) {
      problem([...basePath, "type"], `unknown adapter type "${raw.type}"${didYouMean(raw.type, adapterTypes())}; known types: ${known()}`);
    } else {
      problem([...basePath, "type"], `adapter type "${raw.type}" failed to load: ${(error as Error).message}`);
    }
    return undefined;
  }

  const coreRaw: Record<string, unknown> = {};
  const optionsRaw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) (CORE_ADAPTER_KEYS.includes(key) ? coreRaw : optionsRaw)[key] = value;
  const before = problems.length;
  const issueScope = { source, root: scope.root, basePath, unresolved: scope.unresolved };

  const core = adapterCoreSchema.safeParse(coreRaw);
  if (!core.success) problems.push(...issuesToProblems(core.error.issues, { ...issueScope, schema: adapterCoreSchema }));

  // Unknown keys at the adapter's top level are checked here, against core and option keys together.
  const ownKeys = optionKeys(definition.options);
  const allowed = [...CORE_ADAPTER_KEYS, ...(ownKeys ?? [])];
  if (ownKeys) {
    for (const key of Object.keys(optionsRaw)) {
      if (!ownKeys.includes(key)) problem([...basePath, key], `unknown key "${key}"${didYouMean(key, allowed)}`, "key");
    }
  }
  const parsedOptions = (definition.options as z.ZodType).safeParse(optionsRaw);
  if (!parsedOptions.success) {
    const issues = parsedOptions.error.issues.filter(
      (issue) => !(ownKeys && issue.code === "unrecognized_keys" && issue.path.length === 0),
    );
    problems.push(...issuesToProblems(issues, { ...issueScope, schema: definition.options, extraRootKeys: CORE_ADAPTER_KEYS }));
  }
  if (!core.success || !parsedOptions.success || problems.length > before) return undefined;

  const options = parsedOptions.data as Record<string, unknown>;
  if (scope.checkFiles && definition.checkFiles) {
    try {
      for (const { file, line, col, message, option } of await definition.checkFiles(options, scope.dir)) {
        const naming = [...basePath, ...(option ?? [])];
        if (line > 0) problems.push({ file, line, col, path: formatPath(naming), message });
        // A file that cannot be read at all: at the config line that names it, when the adapter says which.
        else if (option) problems.push({ file: source.file, ...positionOf(source, naming), path: formatPath(naming), message });
        else problems.push({ file, path: formatPath(naming), message });
      }
    } catch (error) {
      problem(basePath, `checking the files this adapter names failed: ${(error as Error).message}`);
    }
  }

  const settings = {
    id,
    type: definition.type,
    sourceId: core.data.source_id ?? scope.defaultSourceId,
    prefix: core.data.prefix ?? `${id}.`,
    tags: core.data.tags ?? {},
    stream: core.data.stream,
    enabled: core.data.enabled,
    report: core.data.report ?? [],
    options,
  };
  const adapter: AdapterConfig = { ...settings, definition, optionsKey: fingerprint(settings) };
  // The definition holds schemas and functions: printing a config shows the settings only.
  Object.defineProperty(adapter, "toJSON", { value: () => settings, enumerable: false });
  return adapter;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hideKey<T extends object>(target: T, key: string, value: unknown): T {
  if (value !== undefined) Object.defineProperty(target, key, { value, enumerable: false, writable: false });
  return target;
}

/** A hash of the settings in a canonical order: comparable across loads, and it shows no secret if logged. */
function fingerprint(value: unknown): string {
  return `sha256:${createHash("sha256").update(stableJson(value)).digest("hex")}`;
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
