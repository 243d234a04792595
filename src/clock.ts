/**
 * Time for the bridge. Points the bridge stamps itself carry CLOCK_MONOTONIC milliseconds
 * (boot-relative on Linux, shared by every process of one boot) until the server's offset is
 * known; the uplink maps them to wall time when it sends. So a wall-clock step on the box (NTP
 * arriving late) never bends a series, and points captured before the first connection get
 * server-aligned times.
 */
import { readFileSync } from "node:fs";

export interface Clock {
  /** Best estimate of true wall time, epoch milliseconds. */
  now(): number;
  /** CLOCK_MONOTONIC in milliseconds: never steps. */
  monotonicMs(): number;
}

export interface SyncState {
  synced: boolean;
  /** server wall time − local monotonic, ms (valid when synced). */
  offsetMs: number;
  /** Monotonic time of the last sync. */
  syncedAtMono: number;
  /** Round trip measured at the last sync. */
  rttMs: number;
  /** How far off the offset could be when it was learned, ms. */
  uncertaintyMs: number;
}

/**
 * How fast an offset goes stale: a cheap crystal drifts up to about 100 ppm (8.6 s a day), so an
 * offset's uncertainty grows by 0.1 ms for every second since it was learned.
 */
const DRIFT_PER_MS = 100e-6;

const hrtimeMs = () => Number(process.hrtime.bigint()) / 1e6;

export class BridgeClock implements Clock {
  private state: SyncState = { synced: false, offsetMs: 0, syncedAtMono: 0, rttMs: 0, uncertaintyMs: 0 };
  private localOffsetMs: number | undefined;

  constructor(
    private readonly monotonic: () => number = hrtimeMs,
    private readonly wall: () => number = Date.now,
  ) {}

  monotonicMs(): number {
    return this.monotonic();
  }

  now(): number {
    return this.toWall(this.monotonic());
  }

  get sync(): Readonly<SyncState> {
    return this.state;
  }

  get synced(): boolean {
    return this.state.synced;
  }

  /**
   * Learns the offset from the server's time. `serverTimeMs` was stamped by the server about
   * half a round trip before `receivedAtMono`, so the offset is good to ±`uncertaintyMs`
   * (half the round trip, unless the source of the time is coarser).
   *
   * A sample worse than the one held, once the held one's drift is counted, is not taken: a
   * reconnect over a congested link (a 2 s round trip on cellular) must not move every later
   * timestamp by up to a second when the offset learned an hour ago is still good to a few ms.
   * `replace` takes the sample regardless (the scheduled re-sync, whose purpose is a fresh offset).
   * Returns whether the sample was taken.
   */
  syncFromServer(serverTimeMs: number, rttMs: number, receivedAtMono: number, uncertaintyMs = rttMs / 2, replace = false): boolean {
    if (this.state.synced && !replace) {
      const held = this.state.uncertaintyMs + DRIFT_PER_MS * (receivedAtMono - this.state.syncedAtMono);
      if (held < uncertaintyMs) return false;
    }
    this.state = {
      synced: true,
      offsetMs: serverTimeMs + rttMs / 2 - receivedAtMono,
      syncedAtMono: receivedAtMono,
      rttMs,
      uncertaintyMs,
    };
    return true;
  }

  /** Maps a monotonic stamp to wall time: server-aligned once synced, the local wall clock before. */
  toWall(monoMs: number): number {
    if (this.state.synced) return Math.round(monoMs + this.state.offsetMs);
    return Math.round(monoMs + this.localOffset());
  }

  /**
   * local wall − monotonic. Date.now() has whole milliseconds and the monotonic clock does not, so
   * the difference read afresh wobbles by up to 1 ms, and points that share one monotonic stamp (a
   * Modbus poll, say) would get different times. The offset is kept while the reading stays within
   * 2 ms of it, and follows the wall clock when it really moves (a step, or a slew adding up).
   */
  private localOffset(): number {
    const reading = this.wall() - this.monotonic();
    if (this.localOffsetMs === undefined || Math.abs(reading - this.localOffsetMs) > 2) this.localOffsetMs = reading;
    return this.localOffsetMs;
  }

  /** Age of the offset in ms, or undefined before the first sync. */
  offsetAgeMs(): number | undefined {
    return this.state.synced ? this.monotonic() - this.state.syncedAtMono : undefined;
  }
}

/** A clock whose monotonic and wall readings the test sets. */
export class FakeClock extends BridgeClock {
  mono = 1_000_000;
  wallMs = Date.UTC(2026, 0, 1);
  constructor() {
    super(
      () => this.mono,
      () => this.wallMs,
    );
  }
  advance(ms: number) {
    this.mono += ms;
    this.wallMs += ms;
  }
}

/** Identifies this boot: monotonic stamps are comparable only within one. */
export function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return `process-${process.pid}-${Date.now()}`;
  }
}
