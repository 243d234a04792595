/**
 * What the loader checks in the `plexus:` section beyond its schema, each reported with its
 * position and together with every other problem (not on a second run):
 * - a plain-text uplink to another host would send the API key in clear;
 * - a bridge that sends needs an API key: `plexus.api_key`, else $PLEXUS_API_KEY.
 */
import { plexusProblems } from "../uplink/check.js";
import { LINK_PROFILES, plexusFields } from "../uplink/options.js";
import type { ConfigProblem } from "./problems.js";
import { positionOf, type YamlSource } from "./yaml-source.js";

/** Read when the config has no `plexus.api_key` at all. */
export const API_KEY_ENV_VAR = "PLEXUS_API_KEY";

/** The fields the URL rules need: checked even when another key of the section (a bad source_id) is wrong. */
const URL_FIELDS = ["url", "http_url", "transport", "allow_insecure", "link"] as const;
const urlSection = plexusFields.pick({ url: true, http_url: true, transport: true, allow_insecure: true, link: true });

export function urlProblems(source: YamlSource, rawPlexus: unknown, unresolved: ReadonlySet<string>): ConfigProblem[] {
  if (typeof rawPlexus !== "object" || rawPlexus === null) return [];
  const fields = Object.fromEntries(
    URL_FIELDS.map((key) => [key, (rawPlexus as Record<string, unknown>)[key]]).filter(([, v]) => v !== undefined),
  );
  const checked = urlSection.safeParse(fields);
  if (!checked.success) return []; // the schema's own problems are reported at these keys already
  const problems: ConfigProblem[] = [];
  const transport = checked.data.transport ?? LINK_PROFILES[checked.data.link].transport;
  for (const message of plexusProblems({ ...checked.data, transport })) {
    const key = message.startsWith("plexus.http_url") && checked.data.http_url !== undefined ? "http_url" : "url";
    // A URL whose ${VAR} is unset is already reported at the reference; its stand-in value proves nothing.
    if (unresolved.has(`plexus.${key}`)) continue;
    problems.push({
      file: source.file,
      ...positionOf(source, ["plexus", key]),
      path: `plexus.${key}`,
      message: message.replace(/^plexus\.\w+ /, ""),
    });
  }
  return problems;
}

/**
 * The API key when the config names none: $PLEXUS_API_KEY. Without either, a bridge that sends
 * (run, check) has a problem at `plexus:`; tail, which sends nothing, needs none.
 */
export function apiKeyFallback(
  source: YamlSource,
  rawPlexus: unknown,
  env: NodeJS.ProcessEnv,
  needsApiKey: boolean,
): { apiKey?: string; problem?: ConfigProblem } {
  if (typeof rawPlexus !== "object" || rawPlexus === null || "api_key" in rawPlexus) return {};
  const fromEnv = env[API_KEY_ENV_VAR];
  if (fromEnv) return { apiKey: fromEnv };
  if (!needsApiKey) return {};
  return {
    problem: {
      file: source.file,
      ...positionOf(source, ["plexus", "api_key"]),
      path: "plexus.api_key",
      message: `no API key: set plexus.api_key (e.g. !file api_key) or the environment variable ${API_KEY_ENV_VAR}`,
    },
  };
}
