/**
 * Acknowledged points never come back: a clean stop leaves none of them in the spool, whatever
 * mix of spooled, given-back and partly delivered points the queue held.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deliverBatches, drainAll, rigsClosedAfterEach, seqPoints, tempDir } from "./queue-helpers.js";

const rig = rigsClosedAfterEach();

describe("a clean stop leaves no acknowledged point in the spool", () => {
  it("after points spooled during an outage are partly delivered, the next start replays only the rest", () => {
    const spool = join(tempDir(), "spool");
    const r = rig({ durability: "spill" }, spool);
    r.queue.setUplinkUp(false);
    r.pipeline.ingest(r.origin, seqPoints(0, 3000));
    r.queue.setUplinkUp(false);
    r.queue.setUplinkUp(true);
    const first = r.queue.take(500, 1e9)!;
    r.queue.ack(first);
    const second = r.queue.take(700, 1e9)!;
    r.queue.giveBack(second);
    const third = r.queue.take(300, 1e9)!;
    r.queue.ack(third);
    r.queue.close();
    const atStop = r.pipeline.stats().sources.src;
    expect(atStop).toMatchObject({ acknowledged: 800, pending: 2200 });

    const next = rig({ durability: "spill" }, spool, "run-2");
    expect(next.queue.pending).toBe(2200);
    expect(drainAll(next.queue)).toEqual(seqPoints(800, 2200).map((p) => p.value));
    next.queue.close();
    const last = rig({ durability: "spill" }, spool, "run-3");
    expect(last.queue.pending).toBe(0);
  });

  it("points delivered while the uplink is up are not replayed, and those still queued are, exactly once", () => {
    const spool = join(tempDir(), "spool");
    const r = rig({ durability: "spill" }, spool);
    r.queue.setUplinkUp(true);
    for (let i = 0; i < 10; i++) r.pipeline.ingest(r.origin, seqPoints(i * 1000, 1000));
    r.queue.setUplinkUp(false); // the write-behind has run
    r.queue.setUplinkUp(true);
    const delivered = deliverBatches(r.queue, 4, 1500);
    r.queue.close();
    expect(r.pipeline.stats().sources.src.pending).toBe(10_000 - delivered);
    const next = rig({ durability: "spill" }, spool, "run-2");
    expect(drainAll(next.queue)).toEqual(seqPoints(delivered, 10_000 - delivered).map((p) => p.value));
  });
});
