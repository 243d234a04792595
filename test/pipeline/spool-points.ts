/** The points and run identities the spool tests (segment log, wave-1 migration) write and read back. */
import type { QueuedPoint } from "../../src/pipeline/batch-source.js";
import type { SpoolIdentity } from "../../src/pipeline/spool.js";

/** One of every kind: a monotonic metric, events of each value type, a session. */
export const points: QueuedPoint[] = [
  { class: "metric", metric: "fc.attitude.roll", value: -0.25, timestamp: 10_000.5, mono: true, tags: { system_id: "1" } },
  { class: "event", metric: "fc.heartbeat.mode", value: "GUIDED", timestamp: 1_755_700_000_123 },
  {
    class: "event",
    metric: "plc.flags",
    value: { door: true, list: [1, "two"] },
    timestamp: 1_755_700_000_124,
    session_id: "s_1",
    tags: { session_id: "s_1" },
  },
  { class: "event", metric: "plc.ok", value: false, timestamp: 1_755_700_000_125 },
];

export function identity(bootId: string, runId: string, wall = 1_755_700_100_000, mono = 20_000): SpoolIdentity {
  return { bootId, runId, monoNow: () => mono, wallNow: () => wall };
}
