/**
 * Adapter state changes go up as `device_error` frames, rate-limited per adapter: at most one
 * per interval, the latest state winning, held while disconnected and sent after reconnecting.
 */
export type Severity = "info" | "warning" | "error";

interface Pending {
  error: string;
  severity: Severity;
}

export class DeviceErrorReporter {
  private readonly pending = new Map<string, Pending>();
  private readonly lastSentAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    /** Sends a frame; false when not connected (the report stays pending). */
    private readonly send: (frame: Record<string, unknown>) => boolean,
    private readonly now: () => number,
  ) {}

  report(source: string, error: string, severity: Severity): void {
    this.pending.set(source, { error, severity });
    this.flush();
  }

  /** Sends whatever is due; call after (re)connecting. */
  flush(): void {
    const now = this.now();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const [source, report] of this.pending) {
      const due = (this.lastSentAt.get(source) ?? Number.NEGATIVE_INFINITY) + this.intervalMs;
      if (now < due) {
        nextDue = Math.min(nextDue, due);
        continue;
      }
      if (!this.send({ type: "device_error", source, error: report.error, severity: report.severity })) return;
      this.pending.delete(source);
      this.lastSentAt.set(source, now);
    }
    if (nextDue !== Number.POSITIVE_INFINITY && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, nextDue - now);
      this.timer.unref();
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
