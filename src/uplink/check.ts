/** What `plexus-bridge check` should say about the `plexus:` section beyond its schema (URLs, the TLS rule). */
import type { PlexusOptions } from "./options.js";
import { assertSecure, deviceWebSocketUrl, ingestUrl } from "./protocol.js";

export function plexusProblems(options: PlexusOptions): string[] {
  const problems: string[] = [];
  const attempt = (what: () => void) => {
    try {
      what();
    } catch (error) {
      problems.push((error as Error).message);
    }
  };
  attempt(() => {
    if (options.transport !== "http") assertSecure(deviceWebSocketUrl(options.url), options.allow_insecure, "plexus.url");
  });
  attempt(() => {
    if (options.transport !== "websocket")
      assertSecure(ingestUrl(options.url, options.http_url), options.allow_insecure, "plexus.http_url");
  });
  return problems;
}
