/**
 * Poll mode, for servers without subscriptions: one Read of every node's Value per interval (in
 * chunks the server accepts), never overlapping itself. A failed Read ends the loop with the
 * error, and the runner replaces the connection.
 */
import { AttributeIds, type ClientSession, type DataValue } from "node-opcua-client";
import { sleep } from "../../src/backoff.js";
import type { PlannedNode } from "./resolve.js";
import { withTimeout } from "./transport.js";

const READ_CHUNK = 1000;

export async function pollNodes(
  session: ClientSession,
  nodes: PlannedNode[],
  intervalMs: () => number,
  requestTimeout: number,
  signal: AbortSignal,
  emit: (batch: [PlannedNode, DataValue][]) => Promise<void>,
): Promise<void> {
  let next = performance.now();
  while (!signal.aborted) {
    const batch: [PlannedNode, DataValue][] = [];
    for (let i = 0; i < nodes.length && !signal.aborted; i += READ_CHUNK) {
      const chunk = nodes.slice(i, i + READ_CHUNK);
      const results = await withTimeout(
        session.read(
          chunk.map((node) => ({ nodeId: node.nodeId, attributeId: AttributeIds.Value })),
          0,
        ),
        requestTimeout,
        "Read timed out",
      );
      chunk.forEach((node, j) => {
        if (results[j]) batch.push([node, results[j]]);
      });
    }
    if (signal.aborted) return;
    await emit(batch);
    next += Math.max(1, intervalMs());
    const now = performance.now();
    if (next < now) next = now;
    await sleep(next - now, signal);
  }
}
