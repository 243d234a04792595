/**
 * The counter identity, written for an operator: for every source and adapter,
 *   received = invalid + dropped + acknowledged + pending
 * with the reasons behind invalid and dropped and the adapter's own health counters. The stop
 * line, the status page and `plexus-bridge status` all show it in this one form.
 */

export interface Counted {
  received: number;
  invalid: number;
  dropped: number;
  acknowledged: number;
  pending: number;
  invalid_reasons: Record<string, number>;
  dropped_reasons: Record<string, number>;
}

export interface AccountedStats {
  adapters: Record<string, Counted>;
  sources: Record<string, Counted>;
  adapter_state: Record<string, { counters: Record<string, number> }>;
  /** Per source, what its uplink put on the wire (absent for tail, which sends nothing). */
  uplinks?: Record<string, unknown>;
}

/** Health counters shown in one line before "and N more". */
const HEALTH_SHOWN = 12;

/** What the identity says about these counters: "balanced" or how far off it is. */
export function identity(c: Counted): { balanced: boolean; text: string } {
  const sum = c.invalid + c.dropped + c.acknowledged + c.pending;
  return sum === c.received
    ? { balanced: true, text: "= invalid + dropped + acknowledged + pending" }
    : { balanced: false, text: `UNBALANCED: invalid + dropped + acknowledged + pending = ${sum}` };
}

function reasons(label: string, map: Record<string, number>): string {
  const entries = Object.entries(map);
  return entries.length === 0 ? "" : `; ${label}: ${entries.map(([reason, n]) => `${reason} ×${n}`).join(", ")}`;
}

function counted(c: Counted): string {
  // The first four keep the order of the stop line before the identity was added (scripts read it).
  return (
    `acknowledged=${c.acknowledged} pending=${c.pending} dropped=${c.dropped} invalid=${c.invalid} received=${c.received} (${identity(c).text})` +
    reasons("dropped", c.dropped_reasons) +
    reasons("invalid", c.invalid_reasons)
  );
}

export function healthText(counters: Record<string, number>): string {
  const entries = Object.entries(counters).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return "none counted";
  const shown = entries.slice(0, HEALTH_SHOWN).map(([name, n]) => `${name}=${n}`);
  return shown.join(" ") + (entries.length > HEALTH_SHOWN ? ` and ${entries.length - HEALTH_SHOWN} more` : "");
}

/** A sink's stats are its own business; an uplink's carry the bytes it put on the wire. */
function wire(sink: unknown): string {
  const bytes = sink as { bytesSent?: unknown; bytesUncompressed?: unknown } | undefined;
  if (typeof bytes?.bytesSent !== "number" || typeof bytes.bytesUncompressed !== "number") return "";
  return `; wire bytes=${bytes.bytesSent} (uncompressed ${bytes.bytesUncompressed})`;
}

/** One line per source, then one per adapter (with its health counters). */
export function accountingLines(stats: AccountedStats): string[] {
  const lines = Object.entries(stats.sources).map(([id, c]) => `${id} ${counted(c)}${wire(stats.uplinks?.[id])}`);
  for (const [id, c] of Object.entries(stats.adapters)) {
    const health = stats.adapter_state[id]?.counters;
    lines.push(`adapter ${id} ${counted(c)}${health ? `; health: ${healthText(health)}` : ""}`);
  }
  return lines;
}
