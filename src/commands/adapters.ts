/** `plexus-bridge adapters`: the adapter types this build knows, with their one-line summaries. */
import { loadAllAdapters } from "../adapters.js";
import { parseCommandArgs, usageFailure } from "../cli-args.js";

const USAGE = "usage: plexus-bridge adapters\n";

export async function runAdaptersCommand(argv: readonly string[] = []): Promise<number> {
  try {
    if (parseCommandArgs(argv, { help: { type: "boolean", short: "h" } }).values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
  } catch (error) {
    return usageFailure(error, USAGE);
  }
  const definitions = await loadAllAdapters();
  const width = Math.max(...definitions.map((d) => d.type.length));
  for (const definition of definitions) process.stdout.write(`${definition.type.padEnd(width)}  ${definition.summary}\n`);
  return 0;
}
