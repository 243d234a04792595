/**
 * Config problems: one per mistake, each with the file position and the dotted path of the value,
 * printed as `file:line:col path: message`, all of them at once, in file order.
 */

/** sysexits.h EX_CONFIG: what the daemon and `check` exit with on a bad config. */
export const EXIT_CONFIG = 78;

export interface ConfigProblem {
  /** The file the problem is in: the config, or a file it names (a DBC, a register map). */
  file: string;
  /** 1-based; absent when the problem has no position (an unreadable file). */
  line?: number;
  col?: number;
  /** Dotted path of the value, e.g. `adapters.plc1.devices[2].points[0].type`; "" for the document. */
  path: string;
  message: string;
}

/** `adapters`, `plc1`, `devices`, 2 → `adapters.plc1.devices[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

export function formatProblem(problem: ConfigProblem): string {
  if (problem.line === undefined) return `${problem.file}: ${problem.path === "" ? "" : `${problem.path}: `}${problem.message}`;
  const where = `${problem.file}:${problem.line}:${problem.col ?? 1}`;
  return problem.path === "" ? `${where} ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/** How many problems are printed: past this, a file is most likely not a config at all. */
export const PRINTED_PROBLEMS = 100;

/** One line per problem, in the order given (loadConfig already sorts them), the first `limit` of them, then "and N more". */
export function formatProblems(problems: readonly ConfigProblem[], limit = PRINTED_PROBLEMS): string {
  const lines = problems.slice(0, limit).map(formatProblem);
  if (problems.length > limit) lines.push(`… and ${problems.length - limit} more`);
  return lines.join("\n");
}

/** The config file's own problems first, then other files; in each, positionless first, then by line and column. */
export function sortProblems(problems: ConfigProblem[], mainFile: string): ConfigProblem[] {
  return problems.sort(
    (a, b) =>
      Number(a.file !== mainFile) - Number(b.file !== mainFile) ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0) ||
      a.path.localeCompare(b.path),
  );
}

/** Replaces every known secret in problem messages, so no error can carry a key by accident. */
export function redactSecrets(problems: ConfigProblem[], secrets: Iterable<string>): ConfigProblem[] {
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...new Set(secrets)].filter((secret) => secret.length >= 4).sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return problems;
  return problems.map((problem) => {
    let message = problem.message;
    for (const secret of ordered) message = message.split(secret).join("<redacted>");
    return message === problem.message ? problem : { ...problem, message };
  });
}

export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The closest candidate if it is close enough to be a plausible typo, else undefined. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the word (at least 1, at most 4 edits) still reads as a typo; beyond that it is a different word.
  const allowed = Math.min(4, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? "" : ` (did you mean "${match}"?)`;
}
