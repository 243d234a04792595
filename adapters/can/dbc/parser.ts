/**
 * A DBC parser: the statements that decide how frames decode (BO_, SG_, VAL_, SIG_VALTYPE_,
 * SG_MUL_VAL_, CM_, VAL_TABLE_) are read in full; attribute and environment statements are
 * skipped to their terminating ';'. Problems carry file, line and column; after an error the
 * parser resumes at the next line that starts with a keyword, so one typo reports one problem.
 */
import type { DbcDatabase, DbcMessage, DbcProblem, DbcSignal } from "./model.js";
import { DbcSyntaxError, type Token, tokenize } from "./tokenizer.js";
import { validateDatabase } from "./validate.js";

/** Statements that end with ';' and carry nothing the decoder needs. */
const SKIPPED_TO_SEMICOLON = new Set([
  "BA_DEF_",
  "BA_",
  "BA_DEF_DEF_",
  "BA_REL_",
  "BA_DEF_REL_",
  "BA_DEF_DEF_REL_",
  "BA_DEF_SGTYPE_",
  "BA_SGTYPE_",
  "BO_TX_BU_",
  "SIG_GROUP_",
  "EV_",
  "ENVVAR_DATA_",
  "SGTYPE_",
  "SGTYPE_VAL_",
  "SIG_TYPE_REF_",
  "SIGTYPE_VALTYPE_",
  "CAT_DEF_",
  "CAT_",
  "FILTER",
  "BU_SG_REL_",
  "BU_EV_REL_",
  "BU_BO_REL_",
  "EV_DATA_",
]);
const KEYWORDS = new Set([
  ...SKIPPED_TO_SEMICOLON,
  "VERSION",
  "NS_",
  "BS_",
  "BU_",
  "BO_",
  "SG_",
  "CM_",
  "VAL_",
  "VAL_TABLE_",
  "SIG_VALTYPE_",
  "SG_MUL_VAL_",
]);

/** The pseudo message Vector tools use to park signals that belong to no frame. */
const INDEPENDENT_SIGNALS_ID = 0xc0000000;

export interface ParseResult {
  db: DbcDatabase;
  problems: DbcProblem[];
}

export function parseDbc(text: string, file = "<dbc>"): ParseResult {
  return new Parser(text, file).parse();
}

class Parser {
  private tokens: Token[] = [];
  private pos = 0;
  private readonly problems: DbcProblem[] = [];
  private readonly messages: DbcMessage[] = [];
  private readonly byRawId = new Map<number, DbcMessage>();
  private readonly valueTables = new Map<string, Map<number, string>>();
  private current: DbcMessage | undefined;
  private version: string | undefined;
  private nodes: string[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  parse(): ParseResult {
    try {
      this.tokens = tokenize(this.text);
    } catch (error) {
      if (!(error instanceof DbcSyntaxError)) throw error;
      this.problem(error.message, error.line, error.col);
      return { db: { messages: [], nodes: [] }, problems: this.problems };
    }
    while (this.peek().kind !== "eof") {
      const start = this.pos;
      try {
        this.statement();
      } catch (error) {
        if (!(error instanceof DbcSyntaxError)) throw error;
        this.problem(error.message, error.line, error.col);
        this.recover(start);
        // The signals of a message whose BO_ line is broken would each report "SG_ outside a message".
        if (this.tokens[start].text === "BO_") this.skipOrphanSignals();
      }
    }
    const db: DbcDatabase = { messages: this.messages, version: this.version, nodes: this.nodes };
    this.problems.push(...validateDatabase(db, this.file));
    return { db, problems: this.problems };
  }

  private statement() {
    const token = this.next();
    if (token.kind !== "ident" || !KEYWORDS.has(token.text)) {
      if (token.kind === "ident" && this.current && token.text.startsWith("SG")) {
        throw this.error(token, `unexpected "${token.text}": expected SG_ (a signal of ${this.current.name})`);
      }
      throw this.error(token, `unexpected ${describe(token)}: expected a DBC keyword such as BO_, SG_, CM_ or VAL_`);
    }
    if (token.text !== "SG_") this.current = undefined;
    switch (token.text) {
      case "VERSION":
        this.version = this.expectKind("string", "the version string").text;
        return;
      case "NS_":
        return this.skipNewSymbols();
      case "BS_":
        this.expectPunct(":");
        return this.skipRestOfLine(token.line);
      case "BU_":
        this.expectPunct(":");
        this.nodes = this.identsOnLine(token.line);
        return;
      case "BO_":
        return this.message(token);
      case "SG_":
        return this.signal(token);
      case "CM_":
        return this.comment();
      case "VAL_":
        return this.valueDescriptions();
      case "VAL_TABLE_":
        return this.valueTable();
      case "SIG_VALTYPE_":
        return this.signalValueType();
      case "SG_MUL_VAL_":
        return this.extendedMultiplexing();
      default:
        return this.skipToSemicolon(token);
    }
  }

  private message(keyword: Token) {
    const idToken = this.expectKind("number", "the message id");
    const rawId = this.integer(idToken, "message id");
    const name = this.expectIdent("the message name");
    this.expectPunct(":");
    const length = this.integer(this.expectKind("number", "the message length"), "message length");
    const sender = this.peek().kind === "ident" && this.peek().line === keyword.line ? this.next().text : "Vector__XXX";
    const extended = (rawId & 0x80000000) !== 0 || rawId > 0x7ff;
    const message: DbcMessage = {
      id: rawId >= 0x80000000 ? rawId - 0x80000000 : rawId,
      extended,
      name: name.text,
      length,
      sender,
      signals: [],
      file: this.file,
      line: keyword.line,
      col: keyword.col,
    };
    if (rawId === INDEPENDENT_SIGNALS_ID) {
      // Its SG_ lines still parse (into a message nobody looks up).
      this.current = message;
      return;
    }
    if (message.id > 0x1fffffff) throw this.error(idToken, `message id ${rawId} is beyond 29 bits`);
    const clash = this.byRawId.get(rawId);
    if (clash) throw this.error(idToken, `message id ${rawId} (${name.text}) already used by ${clash.name} on line ${clash.line}`);
    this.byRawId.set(rawId, message);
    this.messages.push(message);
    this.current = message;
  }

  private signal(keyword: Token) {
    const message = this.current;
    if (!message) throw this.error(keyword, "SG_ outside a message: a signal must follow its BO_ line");
    const name = this.expectIdent("the signal name");
    let isMultiplexer = false;
    let muxValue: number | undefined;
    if (this.peek().kind === "ident") {
      const mux = this.next();
      const match = /^(?:(M)|m(\d+)(M?))$/.exec(mux.text);
      if (!match) throw this.error(mux, `bad multiplexer indicator "${mux.text}": expected M, m<value> or m<value>M`);
      isMultiplexer = match[1] === "M" || match[3] === "M";
      if (match[2] !== undefined) muxValue = Number(match[2]);
    }
    this.expectPunct(":");
    const startBit = this.integer(this.expectKind("number", "the start bit"), "start bit");
    this.expectPunct("|");
    const lengthToken = this.expectKind("number", "the signal length");
    const length = this.integer(lengthToken, "signal length");
    this.expectPunct("@");
    const order = this.expectKind("number", "the byte order (0 = Motorola, 1 = Intel)");
    if (order.text !== "0" && order.text !== "1")
      throw this.error(order, `byte order must be 0 (Motorola) or 1 (Intel), got ${order.text}`);
    const sign = this.next();
    if (sign.kind !== "punct" || (sign.text !== "+" && sign.text !== "-"))
      throw this.error(sign, `expected + (unsigned) or - (signed), got ${describe(sign)}`);
    this.expectPunct("(");
    const factor = this.float(this.expectKind("number", "the factor"));
    this.expectPunct(",");
    const offset = this.float(this.expectKind("number", "the offset"));
    this.expectPunct(")");
    this.expectPunct("[");
    const minimum = this.float(this.expectKind("number", "the minimum"));
    this.expectPunct("|");
    const maximum = this.float(this.expectKind("number", "the maximum"));
    this.expectPunct("]");
    const unit = this.expectKind("string", "the unit").text;
    const receivers: string[] = [];
    while (this.peek().line === keyword.line && (this.peek().kind === "ident" || this.peek().text === ",")) {
      const token = this.next();
      if (token.kind === "ident") receivers.push(token.text);
    }
    if (message.signals.some((s) => s.name === name.text)) throw this.error(name, `signal ${name.text} defined twice in ${message.name}`);
    const signal: DbcSignal = {
      name: name.text,
      startBit,
      length,
      littleEndian: order.text === "1",
      signed: sign.text === "-",
      factor,
      offset,
      minimum,
      maximum,
      unit,
      receivers,
      valueType: "integer",
      isMultiplexer,
      line: keyword.line,
      col: keyword.col,
    };
    if (muxValue !== undefined) signal.multiplexer = { signal: "", ranges: [[muxValue, muxValue]] };
    message.signals.push(signal);
  }

  private comment() {
    const next = this.peek();
    if (next.kind === "string") {
      this.next();
      return this.expectPunct(";");
    }
    const kind = this.expectIdent("BU_, BO_, SG_ or EV_");
    let target: { comment?: string } | undefined;
    if (kind.text === "BO_") target = this.lookupMessage(this.expectKind("number", "the message id"));
    else if (kind.text === "SG_") target = this.lookupSignal();
    else if (kind.text === "BU_" || kind.text === "EV_") this.expectIdent(kind.text === "BU_" ? "the node name" : "the variable name");
    else throw this.error(kind, `unexpected ${describe(kind)} in CM_: expected BU_, BO_, SG_ or EV_`);
    const text = this.expectKind("string", "the comment text").text;
    if (target) target.comment = text;
    this.expectPunct(";");
  }

  private valueDescriptions() {
    const keyword = this.tokens[this.pos - 1];
    const first = this.next();
    if (first.kind === "ident") {
      // VAL_ of an environment variable: nothing to decode.
      return this.skipToSemicolon(first);
    }
    if (first.kind !== "number") throw this.error(first, `expected a message id after VAL_, got ${describe(first)}`);
    this.pos--;
    const signal = this.lookupSignal();
    const choices = this.pairsToSemicolon(keyword);
    if (signal) signal.choices = choices;
  }

  private valueTable() {
    const keyword = this.tokens[this.pos - 1];
    const name = this.expectIdent("the value table name");
    this.valueTables.set(name.text, this.pairsToSemicolon(keyword));
  }

  private signalValueType() {
    const signal = this.lookupSignal();
    if (this.peek().text === ":") this.next();
    const kind = this.expectKind("number", "the value type (0 integer, 1 float, 2 double)");
    if (kind.text !== "0" && kind.text !== "1" && kind.text !== "2")
      throw this.error(kind, `SIG_VALTYPE_ must be 0, 1 or 2, got ${kind.text}`);
    this.expectPunct(";");
    if (!signal) return;
    signal.valueType = kind.text === "1" ? "float32" : kind.text === "2" ? "float64" : "integer";
    const need = kind.text === "1" ? 32 : kind.text === "2" ? 64 : signal.length;
    if (signal.length !== need) throw this.error(kind, `${signal.name} is ${signal.length} bits; SIG_VALTYPE_ ${kind.text} needs ${need}`);
  }

  private extendedMultiplexing() {
    const signal = this.lookupSignal();
    const switchName = this.expectIdent("the multiplexer switch name");
    const ranges: [number, number][] = [];
    for (;;) {
      const low = this.integer(this.expectKind("number", "a range start"), "range start");
      // "8-16" tokenizes as 8, '-', 16; "8 -16" would read as 8, -16.
      let high: number;
      if (this.peek().text === "-") {
        this.next();
        high = this.integer(this.expectKind("number", "a range end"), "range end");
      } else {
        const token = this.expectKind("number", "a range end");
        high = Math.abs(this.integer(token, "range end"));
      }
      ranges.push([low, high]);
      const separator = this.next();
      if (separator.text === ";") break;
      if (separator.text !== ",") throw this.error(separator, `expected , or ; in SG_MUL_VAL_, got ${describe(separator)}`);
    }
    if (signal) signal.multiplexer = { signal: switchName.text, ranges };
  }

  private pairsToSemicolon(keyword: Token): Map<number, string> {
    const pairs = new Map<number, string>();
    for (;;) {
      this.failOnNextStatement(keyword);
      const token = this.next();
      if (token.text === ";" && token.kind === "punct") return pairs;
      if (token.kind !== "number") throw this.error(token, `expected a value or ';', got ${describe(token)}`);
      pairs.set(this.float(token), this.expectKind("string", "the value's label").text);
    }
  }

  /** Reads `<message id> <signal name>`; returns undefined (with a warning) when either is unknown. */
  private lookupSignal(): DbcSignal | undefined {
    const message = this.lookupMessage(this.expectKind("number", "the message id"));
    const name = this.expectIdent("the signal name");
    if (!message) return undefined;
    const signal = message.signals.find((s) => s.name === name.text);
    if (!signal) this.warn(name, `message ${message.name} has no signal ${name.text}`);
    return signal;
  }

  private lookupMessage(idToken: Token): DbcMessage | undefined {
    const rawId = this.integer(idToken, "message id");
    const message = this.byRawId.get(rawId);
    if (!message && rawId !== INDEPENDENT_SIGNALS_ID) this.warn(idToken, `no message with id ${rawId} (BO_ ${rawId} is not defined above)`);
    return message;
  }

  private skipNewSymbols() {
    const keyword = this.tokens[this.pos - 1];
    if (this.peek().text === ":") this.next();
    // NS_ lists one symbol name per line (usually indented, not always). It ends at the first line
    // that is more than a lone name: "BS_:", "BU_: …", "BO_ …".
    for (;;) {
      const token = this.peek();
      const after = this.tokens[this.pos + 1];
      const lone = token.kind === "ident" && (after.kind === "eof" || after.line > token.line || token.line === keyword.line);
      if (!lone) return;
      this.next();
    }
  }

  private skipRestOfLine(line: number) {
    while (this.peek().kind !== "eof" && this.peek().line === line) this.next();
  }

  private identsOnLine(line: number): string[] {
    const names: string[] = [];
    while (this.peek().kind === "ident" && this.peek().line === line) names.push(this.next().text);
    return names;
  }

  private skipToSemicolon(keyword: Token) {
    for (;;) {
      if (this.peek().kind === "eof") throw this.error(keyword, `${keyword.text} statement has no terminating ';'`);
      // Without this, a missing ';' would silently swallow the statements after it up to the next
      // ';' (a VAL_ table, a SIG_VALTYPE_ that makes a signal a float).
      this.failOnNextStatement(keyword);
      const token = this.next();
      if (token.kind === "punct" && token.text === ";") return;
    }
  }

  /** Throws (without consuming it) when the next token starts a new statement: `keyword`'s ';' is missing. */
  private failOnNextStatement(keyword: Token) {
    const token = this.peek();
    if (token !== keyword && token.lineStart && token.kind === "ident" && KEYWORDS.has(token.text) && token.line > keyword.line) {
      throw this.error(keyword, `${keyword.text} statement has no terminating ';' before the ${token.text} on line ${token.line}`);
    }
  }

  private skipOrphanSignals() {
    while (this.peek().kind === "ident" && this.peek().text === "SG_") {
      this.pos++;
      this.recover(this.pos - 1);
    }
  }

  /** After an error: skip to the next line that starts with a DBC keyword. */
  private recover(start: number) {
    if (this.pos <= start) this.pos = start + 1;
    while (this.peek().kind !== "eof" && !(this.peek().lineStart && this.peek().kind === "ident" && KEYWORDS.has(this.peek().text)))
      this.pos++;
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos];
    if (token.kind !== "eof") this.pos++;
    return token;
  }

  private expectKind(kind: Token["kind"], what: string): Token {
    const token = this.next();
    if (token.kind !== kind) throw this.error(token, `expected ${what}, got ${describe(token)}`);
    return token;
  }

  private expectIdent(what: string): Token {
    return this.expectKind("ident", what);
  }

  private expectPunct(text: string) {
    const token = this.next();
    if (token.kind !== "punct" || token.text !== text) throw this.error(token, `expected '${text}', got ${describe(token)}`);
  }

  private integer(token: Token, what: string): number {
    const value = Number(token.text);
    if (!Number.isInteger(value)) throw this.error(token, `${what} must be an integer, got ${token.text}`);
    return value;
  }

  private float(token: Token): number {
    const value = Number(token.text);
    if (!Number.isFinite(value)) throw this.error(token, `not a number: ${token.text}`);
    return value;
  }

  private error(token: Token, message: string): DbcSyntaxError {
    return new DbcSyntaxError(message, token.line, token.col);
  }

  private problem(message: string, line: number, col: number) {
    this.problems.push({ file: this.file, line, col, message, severity: "error" });
  }

  private warn(token: Token, message: string) {
    this.problems.push({ file: this.file, line: token.line, col: token.col, message, severity: "warning" });
  }
}

function describe(token: Token): string {
  if (token.kind === "eof") return "end of file";
  if (token.kind === "string") return `string "${token.text.slice(0, 30)}"`;
  return `"${token.text}"`;
}
