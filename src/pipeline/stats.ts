/**
 * Accounting. For every adapter and every source:
 *   received = invalid + dropped(by reason) + acknowledged + pending
 * Each counter moves by the same events, so the identity holds at every instant.
 */
export class PointCounters {
  received = 0;
  invalid = 0;
  acknowledged = 0;
  pending = 0;
  /**
   * Numeric points the adapter's `report` rules held back (unchanged within the deadband). They
   * were never received by the queue, so they are outside the identity.
   */
  suppressed = 0;
  readonly invalidReasons = new Map<string, number>();
  readonly droppedReasons = new Map<string, number>();

  get dropped(): number {
    let total = 0;
    for (const n of this.droppedReasons.values()) total += n;
    return total;
  }

  snapshot() {
    return {
      received: this.received,
      invalid: this.invalid,
      dropped: this.dropped,
      acknowledged: this.acknowledged,
      pending: this.pending,
      suppressed: this.suppressed,
      invalid_reasons: Object.fromEntries(this.invalidReasons),
      dropped_reasons: Object.fromEntries(this.droppedReasons),
    };
  }

  balanced(): boolean {
    return this.received === this.invalid + this.dropped + this.acknowledged + this.pending;
  }
}

/** Reasons are shortened to their shape (numbers stripped) so the map stays small on a flood. */
export function reasonKey(reason: string): string {
  return reason.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, "N").slice(0, 120);
}

export function addReason(map: Map<string, number>, reason: string, n: number): void {
  const key = reasonKey(reason);
  map.set(key, (map.get(key) ?? 0) + n);
}
