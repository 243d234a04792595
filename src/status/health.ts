/**
 * Healthy means: every enabled adapter is up (or finished its replay) and every uplink is
 * connected. A state that is not is a problem only once it has lasted the grace period, so a
 * reconnect that takes a second does not flap /health; a refused API key is a problem at once.
 */

export interface HealthInput {
  stopping: boolean;
  adapters: { id: string; state: string; since_s: number; detail?: string; internal?: boolean }[];
  sources: {
    id: string;
    uplink?: { status: string; connected: boolean; since_s: number; last_error?: string };
    /** spool_full: why the source's spool takes no more ("disk reserve", "spool_max_bytes", "write failed"), if it does not. */
    queue?: { spool_full?: string };
  }[];
}

export interface Health {
  status: "ok" | "degraded" | "stopping";
  problems: string[];
}

/** Adapter states that are healthy. */
export const HEALTHY_ADAPTER_STATES: ReadonlySet<string> = new Set(["up", "finished", "disabled", "off", "internal"]);

export function assessHealth(input: HealthInput, graceS: number): Health {
  const problems: string[] = [];
  if (input.stopping) problems.push("the bridge is stopping: delivering what is queued, then exiting");
  for (const adapter of input.adapters) {
    if (adapter.internal || HEALTHY_ADAPTER_STATES.has(adapter.state) || adapter.since_s < graceS) continue;
    problems.push(
      `adapter ${adapter.id}: ${adapter.state} for ${Math.round(adapter.since_s)} s${adapter.detail ? `: ${adapter.detail}` : ""}`,
    );
  }
  for (const source of input.sources) {
    // Points are at risk at once (when_full applies), whatever the uplink says.
    if (source.queue?.spool_full) problems.push(`queue ${source.id}: the spool takes no more (${source.queue.spool_full})`);
    const uplink = source.uplink;
    if (!uplink || uplink.connected) continue;
    if (uplink.status !== "auth_failed" && uplink.since_s < graceS) continue;
    const detail = uplink.last_error ? `: ${uplink.last_error}` : "";
    problems.push(
      `uplink ${source.id}: ${uplink.status === "auth_failed" ? "API key refused" : "not connected"} for ${Math.round(uplink.since_s)} s${detail}`,
    );
  }
  return { status: input.stopping ? "stopping" : problems.length > 0 ? "degraded" : "ok", problems };
}
