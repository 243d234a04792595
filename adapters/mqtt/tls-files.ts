/** `check`: the TLS files an mqtt adapter names must be readable, before anything connects. */
import { access, constants } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import type { FileProblem } from "../../src/adapter-contract.js";
import type { MqttOptions } from "./options.js";

export async function checkTlsFiles(options: MqttOptions, configDir: string): Promise<FileProblem[]> {
  const tls = options.tls;
  if (!tls) return [];
  const files = [tls.ca, tls.cert, tls.key].filter((file): file is string => file !== undefined);
  const problems = await Promise.all(
    files.map(async (file): Promise<FileProblem | undefined> => {
      const path = isAbsolute(file) ? file : resolve(configDir, file);
      try {
        await access(path, constants.R_OK);
        return undefined;
      } catch (error) {
        return { file: path, line: 0, col: 0, message: `TLS file cannot be read: ${(error as Error).message}` };
      }
    }),
  );
  return problems.filter((p): p is FileProblem => p !== undefined);
}
