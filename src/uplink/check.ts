/** What `plexus-bridge check` should say about the `plexus:` section beyond its schema (URLs, the TLS rule). */
import type { PlexusOptions } from "./options.js";
import { assertSecure, deviceWebSocketUrl, ingestUrl } from "./protocol.js";

export function plexusProblems(options: Pick<PlexusOptions, "url" | "http_url" | "transport" | "allow_insecure">): string[] {
  const problems: string[] = [];
  const attempt = (what: () => void, key: "url" | "http_url") => {
    try {
      what();
    } catch (error) {
      const invalid = (error as NodeJS.ErrnoException).code === "ERR_INVALID_URL";
      problems.push(
        invalid
          ? `plexus.${key} "${options[key]}" is not a valid URL (expected e.g. wss://gateway.plexus.company)`
          : (error as Error).message,
      );
    }
  };
  attempt(() => {
    if (options.transport !== "http") assertSecure(deviceWebSocketUrl(options.url), options.allow_insecure, "plexus.url");
  }, "url");
  attempt(() => {
    if (options.transport !== "websocket")
      assertSecure(ingestUrl(options.url, options.http_url), options.allow_insecure, "plexus.http_url");
  }, "http_url");
  return problems;
}
