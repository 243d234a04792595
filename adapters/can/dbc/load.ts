/** Reads DBC files from disk: the only I/O of the DBC layer. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { readErrorReason } from "../../../src/file-errors.js";
import type { DbcMessage, DbcProblem } from "./model.js";
import { parseDbc } from "./parser.js";

export interface LoadedDbc {
  messages: DbcMessage[];
  problems: DbcProblem[];
}

/** Parses every file; a message id defined in two files is an error naming both. */
export async function loadDbcFiles(files: string[], baseDir: string): Promise<LoadedDbc> {
  const messages: DbcMessage[] = [];
  const problems: DbcProblem[] = [];
  const seen = new Map<string, DbcMessage>();
  for (const file of files) {
    const path = resolve(baseDir, file);
    let text: string;
    try {
      text = decodeText(await readFile(path));
    } catch (error) {
      problems.push({ file: path, line: 0, col: 0, message: `cannot read DBC ${path}: ${readErrorReason(error)}`, severity: "error" });
      continue;
    }
    const result = parseDbc(text, path);
    problems.push(...result.problems);
    for (const message of result.db.messages) {
      const key = `${message.extended ? "x" : "s"}${message.id}`;
      const clash = seen.get(key);
      if (clash) {
        problems.push({
          file: path,
          line: message.line,
          col: message.col,
          message: `${message.name} uses id ${message.id} already defined as ${clash.name} in ${clash.file}:${clash.line}`,
          severity: "error",
        });
        continue;
      }
      seen.set(key, message);
      messages.push(message);
    }
  }
  return { messages, problems };
}

/** DBC files come in UTF-8 or Windows-1252; try UTF-8 strictly, fall back to Latin-1. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("latin1").decode(bytes);
  }
}
