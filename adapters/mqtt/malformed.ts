/**
 * Payloads that do not parse: counted per subscription, and logged at most once per interval per
 * subscription with the topic and the first bytes, so a device that floods garbage cannot flood
 * the journal, and the operator still sees what it sends.
 */
import type { Logger } from "../../src/log.js";

const PREVIEW_BYTES = 32;

export class MalformedReporter {
  private lastLogMs = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly filter: string,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly nowMs: () => number,
    private readonly count: (name: string, n?: number) => void,
  ) {}

  report(topic: string, payload: Uint8Array, reason: string): void {
    this.count("malformed_payloads");
    this.count(`malformed_payloads:${this.filter}`);
    const now = this.nowMs();
    if (now - this.lastLogMs < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.lastLogMs = now;
    const fields: Record<string, unknown> = {
      subscription: this.filter,
      topic,
      bytes: payload.byteLength,
      first_bytes: preview(payload),
      reason,
    };
    if (this.suppressed > 0) fields.not_logged_since_last = this.suppressed;
    this.suppressed = 0;
    this.log.warn("payload does not parse, skipped", fields);
  }
}

/** The first bytes as text when they are printable, else as hex. */
export function preview(payload: Uint8Array): string {
  const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, PREVIEW_BYTES));
  const more = payload.byteLength > PREVIEW_BYTES ? "…" : "";
  const text = head.toString("utf8");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for.
  if (!/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return JSON.stringify(text + more);
  return `hex ${head.toString("hex")}${more}`;
}
