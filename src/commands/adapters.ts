/** `plexus-bridge adapters`: the adapter types this build knows, with their one-line summaries. */
import { loadAllAdapters } from "../adapters.js";

export async function runAdaptersCommand(): Promise<number> {
  const definitions = await loadAllAdapters();
  const width = Math.max(...definitions.map((d) => d.type.length));
  for (const definition of definitions) process.stdout.write(`${definition.type.padEnd(width)}  ${definition.summary}\n`);
  return 0;
}
