/**
 * When the next telemetry frame of a source may leave: at least `intervalMs` after the previous
 * one (the gateway silently drops frames of a source under 0.5 ms apart, so a pong only means
 * "stored" when frames are paced), and not before a pause (RATE_LIMITED) ends.
 */
/** Twice the gateway's 0.5 ms, for clocks that count in whole milliseconds. */
const AFTER_PONG_GAP_MS = 1;

export class FramePacer {
  private nextFrameAt = 0;
  private pausedUntil = 0;
  /** When the last frame went out (for flush_interval). */
  lastFrameAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Milliseconds until a frame may be sent; 0 when one may go now. */
  waitMs(): number {
    return Math.max(0, Math.max(this.nextFrameAt, this.pausedUntil) - this.now());
  }

  /** Books the current slot: the next frame waits a full interval. */
  claim(): void {
    this.nextFrameAt = this.now() + this.intervalMs;
  }

  sent(): void {
    this.lastFrameAt = this.now();
  }

  /**
   * A pong came back: the gateway handled every frame sent before its ping. A frame sent after
   * this gap cannot be handled within 0.5 ms of those, however the network bunches bytes.
   */
  acknowledged(): void {
    this.nextFrameAt = Math.max(this.nextFrameAt, this.now() + AFTER_PONG_GAP_MS);
  }

  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
