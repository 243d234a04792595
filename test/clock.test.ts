/** BridgeClock: monotonic stamps mapped through the server offset. */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../src/clock.js";

describe("BridgeClock", () => {
  it("before a sync maps monotonic stamps through the local wall clock", () => {
    const clock = new FakeClock();
    const captured = clock.monotonicMs();
    clock.advance(250);
    expect(clock.synced).toBe(false);
    expect(clock.toWall(captured)).toBe(clock.wallMs - 250);
    expect(clock.offsetAgeMs()).toBeUndefined();
  });

  it("learns the offset from server_time_ms plus half the round trip", () => {
    const clock = new FakeClock();
    const server = Date.UTC(2026, 6, 1); // the box's wall clock is half a year behind
    const captured = clock.monotonicMs();
    clock.advance(1000);
    // authenticated arrived now; the server stamped it 150 ms earlier (one way of a 300 ms round trip).
    clock.syncFromServer(server, 300, clock.monotonicMs());
    expect(clock.now()).toBe(server + 150);
    expect(clock.toWall(captured)).toBe(server + 150 - 1000);
    clock.advance(40);
    expect(clock.offsetAgeMs()).toBe(40);
    expect(clock.sync.rttMs).toBe(300);
  });

  it("a wall-clock step after the sync does not bend generated times", () => {
    const clock = new FakeClock();
    clock.syncFromServer(Date.UTC(2026, 0, 1), 0, clock.monotonicMs());
    const before = clock.now();
    clock.wallMs += 3_600_000; // NTP steps the box's clock by an hour
    clock.mono += 10;
    expect(clock.now() - before).toBe(10);
  });

  it("before a sync, points that share a monotonic stamp share a wall time, and a wall-clock step is followed", () => {
    const clock = new FakeClock();
    clock.mono = 1_000_000.3; // the monotonic clock has fractions of a millisecond; Date.now() does not
    const stamp = clock.monotonicMs();
    const first = clock.toWall(stamp);
    clock.mono += 0.6;
    clock.wallMs += 1; // Date.now() ticked over while the monotonic clock moved less than 1 ms
    expect(clock.toWall(stamp)).toBe(first);
    clock.wallMs += 60_000; // the box's clock is stepped: unsynced times follow the local clock
    expect(clock.toWall(stamp) - first).toBe(60_000);
  });

  it("keeps a precise offset over a reconnect whose round trip was much worse, until drift makes it the worse one", () => {
    const clock = new FakeClock();
    const server = Date.UTC(2026, 6, 1);
    expect(clock.syncFromServer(server, 20, clock.monotonicMs())).toBe(true); // ±10 ms
    const precise = clock.sync.offsetMs;
    clock.advance(60_000);
    // A reconnect over a congested link: 2 s round trip, and the one-way delays were lopsided.
    expect(clock.syncFromServer(server + 60_000 + 700, 2000, clock.monotonicMs())).toBe(false);
    expect(clock.sync.offsetMs).toBe(precise);
    // The scheduled re-sync takes its sample whatever it is worth: refreshing is its purpose.
    const other = new FakeClock();
    other.syncFromServer(server, 20, other.monotonicMs());
    expect(other.syncFromServer(server + 700, 2000, other.monotonicMs(), 1000, true)).toBe(true);
    // Six hours on, the held offset may have drifted by up to 2.16 s (100 ppm): the ±1 s sample wins.
    clock.advance(6 * 3_600_000);
    expect(clock.syncFromServer(server + 60_000 + 6 * 3_600_000, 2000, clock.monotonicMs())).toBe(true);
    expect(clock.sync.rttMs).toBe(2000);
  });

  it("a coarse sample (an HTTP Date header, ±0.5 s) gives way to a WebSocket sync at once", () => {
    const clock = new FakeClock();
    clock.syncFromServer(Date.UTC(2026, 6, 1), 30, clock.monotonicMs(), 515);
    clock.advance(1000);
    expect(clock.syncFromServer(Date.UTC(2026, 6, 1) + 1000, 40, clock.monotonicMs())).toBe(true);
    expect(clock.sync.uncertaintyMs).toBe(20);
  });
});
