/**
 * The one-line summary systemd shows in `systemctl status` (STATUS=):
 *   3 adapters up · 12.4k pts/s · queue 0 · uplink ok rtt 41 ms
 * Built from Daemon.stats(); only the fields read here are typed, so the stats may grow.
 */

/** What the summary reads from one uplink's stats (src/uplink/uplink.ts UplinkStats). */
export interface UplinkView {
  connected?: boolean;
  status?: string;
  rttMs?: number;
  pending?: number;
}

/** What the summary reads from Daemon.stats(). */
export interface StatsView {
  sources: Record<string, { received: number; pending: number }>;
  adapter_state: Record<string, { state: string; link?: string }>;
  uplinks: Record<string, unknown>;
  /** Adapters running with dashboard configure changes over their YAML (src/configure-overlay.ts). */
  configure_overlay?: Record<string, unknown>;
}

/** 950, 12.4k, 3.2M: short enough for a status line. */
export function compactNumber(n: number): string {
  if (n < 1000) return n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0).replace(/\.0$/, "")}k`;
  return `${(n / 1e6).toFixed(1).replace(/\.0$/, "")}M`;
}

function adapterPart(adapters: StatsView["adapter_state"]): string {
  const active = Object.entries(adapters).filter(([, a]) => a.state !== "disabled" && a.state !== "stopped");
  const isUp = (a: { state: string; link?: string }) => a.state === "finished" || (a.state === "running" && a.link !== "down");
  const down = active.filter(([, a]) => !isUp(a)).map(([id, a]) => `${id} ${a.state === "running" ? "down" : a.state}`);
  const noun = active.length === 1 ? "adapter" : "adapters";
  if (down.length === 0) return `${active.length} ${noun} up`;
  const shown = down.slice(0, 2).join(", ") + (down.length > 2 ? `, +${down.length - 2}` : "");
  return `${active.length - down.length}/${active.length} ${noun} up (${shown})`;
}

function uplinkPart(uplinks: StatsView["uplinks"]): string {
  const views = Object.values(uplinks).filter((u): u is UplinkView => typeof u === "object" && u !== null);
  if (views.length === 0) return "no uplink";
  const ok = views.filter((u) => u.connected);
  const rtts = ok.map((u) => u.rttMs).filter((r): r is number => typeof r === "number");
  const rtt = rtts.length > 0 ? ` rtt ${Math.round(Math.max(...rtts))} ms` : "";
  if (views.length === 1) return ok.length === 1 ? `uplink ok${rtt}` : `uplink ${views[0].status ?? "down"}`;
  return `uplinks ${ok.length}/${views.length} ok${rtt}`;
}

/** Keeps the previous totals so points/s is the rate since the last line. */
export class StatusLine {
  private last: { received: number; atMs: number } | undefined;

  format(stats: StatsView, nowMs: number): string {
    const sources = Object.values(stats.sources);
    const received = sources.reduce((sum, s) => sum + s.received, 0);
    const pending = sources.reduce((sum, s) => sum + s.pending, 0);
    const seconds = this.last ? (nowMs - this.last.atMs) / 1000 : 0;
    const rate = this.last && seconds > 0 ? Math.max(0, received - this.last.received) / seconds : 0;
    this.last = { received, atMs: nowMs };
    const parts = [
      adapterPart(stats.adapter_state),
      `${compactNumber(rate)} pts/s`,
      `queue ${compactNumber(pending)}`,
      uplinkPart(stats.uplinks),
    ];
    const overlaid = Object.keys(stats.configure_overlay ?? {});
    if (overlaid.length > 0) parts.push(`configured from the dashboard: ${overlaid.join(", ")}`);
    return parts.join(" · ");
  }
}
