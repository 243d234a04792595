/**
 * What the uplink sees of a source's queue: batches it takes, then acknowledges or gives back.
 * A batch leaves the queue only when acknowledged; one given back returns to the head, in order.
 */
import type { Point } from "./point.js";

/** A point as the queue holds it. */
export interface QueuedPoint extends Point {
  /**
   * true: `timestamp` is CLOCK_MONOTONIC ms, stamped before the server offset was known; the
   * uplink maps it with `clock.toWall()` when it serialises the point.
   */
  mono?: boolean;
}

export interface Batch {
  readonly seq: number;
  readonly points: QueuedPoint[];
  /** Estimated JSON bytes of the points. */
  bytes: number;
}

export interface BatchSource {
  readonly sourceId: string;
  /** Points held and not acknowledged, in memory and in the spool (including ones in flight). */
  readonly pending: number;
  /** The next batch not in flight, up to the limits; undefined when nothing waits. */
  take(maxPoints: number, maxBytes: number): Batch | undefined;
  /** The batch was delivered: its points leave the queue. */
  ack(batch: Batch): void;
  /** The batch was not delivered: it returns to the head, ahead of anything taken after it. */
  giveBack(batch: Batch): void;
  /**
   * The gateway rejected point `index` of the batch (found by bisecting): it is removed from the
   * batch and counted as dropped with `reason`; the rest of the batch stays in flight.
   */
  quarantine(batch: Batch, index: number, reason: string): void;
  /**
   * Calls `listener` once, soon after take() would return something (on a later tick if it would
   * now). Returns a cancel function: a waiter that gave up (a timeout, a closed connection) must
   * not stay held by the source for months of idling.
   */
  onAvailable(listener: () => void): () => void;
  /** The uplink tells the queue whether it is connected, so `spill` knows when to write to disk. */
  setUplinkUp(up: boolean): void;
}

/**
 * Resolves when `source` has something to take, `ms` has passed or `signal` aborts, leaving no
 * listener behind.
 */
export function availableWithin(source: BatchSource, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const cancel = source.onAvailable(done);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
