/** Keeps the API key out of every log line and error the uplink produces. */
import type { LogFields, Logger } from "../log.js";

export function redactor(secret: string | undefined): (text: string) => string {
  if (!secret || secret.length < 4) return (text) => text;
  return (text) => (text.includes(secret) ? text.split(secret).join("plx_…(redacted)") : text);
}

export class RedactingLogger implements Logger {
  constructor(
    private readonly inner: Logger,
    private readonly redact: (text: string) => string,
  ) {}

  private fields(fields: LogFields | undefined): LogFields | undefined {
    if (!fields) return fields;
    const out: LogFields = {};
    for (const [key, value] of Object.entries(fields)) out[key] = typeof value === "string" ? this.redact(value) : value;
    return out;
  }

  debug(message: string, fields?: LogFields) {
    this.inner.debug(this.redact(message), this.fields(fields));
  }
  info(message: string, fields?: LogFields) {
    this.inner.info(this.redact(message), this.fields(fields));
  }
  warn(message: string, fields?: LogFields) {
    this.inner.warn(this.redact(message), this.fields(fields));
  }
  error(message: string, fields?: LogFields) {
    this.inner.error(this.redact(message), this.fields(fields));
  }
  child(scope: string): Logger {
    return new RedactingLogger(this.inner.child(scope), this.redact);
  }
}
