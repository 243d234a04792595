/** Splits DBC text into tokens that remember their line and column, for error messages. */

export type TokenKind = "ident" | "number" | "string" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
  /** First token on its line: statements start there, so error recovery resumes there. */
  lineStart: boolean;
}

export class DbcSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentStart = (c: string) => (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c === "_";
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStartIndex = 0;
  let lastTokenLine = 0;
  const push = (kind: TokenKind, value: string, start: number, startLine: number, startLineIndex: number) => {
    tokens.push({ kind, text: value, line: startLine, col: start - startLineIndex + 1, lineStart: startLine !== lastTokenLine });
    lastTokenLine = startLine;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
      lineStartIndex = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\uFEFF") {
      i++;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    const startLine = line;
    const startLineIndex = lineStartIndex;
    if (c === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new DbcSyntaxError("unterminated string", startLine, start - startLineIndex + 1);
        const d = text[i];
        // Only \" and \\ are escapes. Any other backslash is text (a Windows path in a comment), and
        // the character after it is read normally, so a newline there still counts as a line.
        if (d === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '"') break;
        if (d === "\n") {
          line++;
          lineStartIndex = i + 1;
        }
        value += d;
        i++;
      }
      i++;
      push("string", value, start, startLine, startLineIndex);
      lastTokenLine = line;
      continue;
    }
    // A '-' glued to a preceding digit or letter is punctuation ("8-16" ranges, "@1-" sign);
    // otherwise it may start a negative number ("(1,-5)", "[-40|215]").
    const prev = text[i - 1] ?? " ";
    const signStartsNumber = (c === "-" || c === "+") && !isIdentPart(prev) && (isDigit(text[i + 1] ?? "") || text[i + 1] === ".");
    if (isDigit(c) || signStartsNumber || (c === "." && isDigit(text[i + 1] ?? ""))) {
      i++;
      while (i < text.length && (isDigit(text[i]) || text[i] === ".")) i++;
      if (
        (text[i] === "e" || text[i] === "E") &&
        (isDigit(text[i + 1] ?? "") || ((text[i + 1] === "-" || text[i + 1] === "+") && isDigit(text[i + 2] ?? "")))
      ) {
        i += 2;
        while (i < text.length && isDigit(text[i])) i++;
      }
      if (i < text.length && isIdentStart(text[i])) {
        // e.g. "3abc": not a number; read it as one identifier so the error names it whole.
        while (i < text.length && isIdentPart(text[i])) i++;
        push("ident", text.slice(start, i), start, startLine, startLineIndex);
        continue;
      }
      push("number", text.slice(start, i), start, startLine, startLineIndex);
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < text.length && isIdentPart(text[i])) i++;
      push("ident", text.slice(start, i), start, startLine, startLineIndex);
      continue;
    }
    i++;
    push("punct", c, start, startLine, startLineIndex);
  }
  tokens.push({ kind: "eof", text: "", line, col: i - lineStartIndex + 1, lineStart: true });
  return tokens;
}
