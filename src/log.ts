/** Structured logger: one line per event, adapter id first, never a secret. */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `scope` first (an adapter id, "uplink", "queue"). */
  child(scope: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** journald reads `<N>` prefixes as syslog priorities when stderr is its stream. */
const SYSLOG_PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  format?: "text" | "json";
  sink?: LogSink;
  /** Strings that must never be printed (API keys); replaced by "***". */
  secrets?: string[];
}

/**
 * One line per event: `scope: message key=value…` on a terminal and in journald, or one JSON
 * object with `--log-format json`. Secrets are scrubbed from every line, whatever its origin.
 */
export class ConsoleLogger implements Logger {
  private readonly threshold: number;
  private readonly journald = process.env.JOURNAL_STREAM !== undefined;

  constructor(
    private readonly options: ConsoleLoggerOptions = {},
    private readonly scope = "",
  ) {
    this.threshold = LEVELS[options.level ?? "info"];
  }

  debug(message: string, fields?: LogFields) {
    this.write("debug", message, fields);
  }
  info(message: string, fields?: LogFields) {
    this.write("info", message, fields);
  }
  warn(message: string, fields?: LogFields) {
    this.write("warn", message, fields);
  }
  error(message: string, fields?: LogFields) {
    this.write("error", message, fields);
  }
  child(scope: string): Logger {
    return new ConsoleLogger(this.options, scope);
  }

  private write(level: LogLevel, message: string, fields?: LogFields) {
    if (LEVELS[level] < this.threshold) return;
    let line: string;
    if (this.options.format === "json") {
      line = JSON.stringify({ time: new Date().toISOString(), level, scope: this.scope || undefined, msg: message, ...fields });
    } else {
      const extra = fields
        ? Object.entries(fields)
            .map(([key, value]) => ` ${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
            .join("")
        : "";
      const prefix = this.journald ? `<${SYSLOG_PRIORITY[level]}>` : `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} `;
      line = `${prefix}${this.scope ? `${this.scope}: ` : ""}${message}${extra}`;
    }
    for (const secret of this.options.secrets ?? []) {
      if (secret.length >= 4 && line.includes(secret)) line = line.split(secret).join("***");
    }
    (this.options.sink ?? { write: (text: string) => process.stderr.write(text) }).write(`${line}\n`);
  }
}
