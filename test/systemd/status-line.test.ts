import { describe, expect, it } from "vitest";
import { StallDetector } from "../../src/systemd/stall-detector.js";
import { compactNumber, type StatsView, StatusLine } from "../../src/systemd/status-line.js";

function stats(received: number, pending: number, uplink: Record<string, unknown>, adapters: StatsView["adapter_state"]): StatsView {
  return { sources: { "press-line-3": { received, pending } }, adapter_state: adapters, uplinks: { "press-line-3": uplink } };
}

const threeUp = {
  plc: { state: "running", link: "up" },
  fc: { state: "running" },
  replay: { state: "finished" },
  spare: { state: "disabled" },
};

describe("the STATUS= line", () => {
  it("reads as the issue asks: adapters up, points/s since the last line, queue, uplink and rtt", () => {
    const line = new StatusLine();
    line.format(stats(1000, 0, { connected: true, rttMs: 41 }, threeUp), 0);
    expect(line.format(stats(63_000, 0, { connected: true, rttMs: 41.3 }, threeUp), 5000)).toBe(
      "3 adapters up · 12.4k pts/s · queue 0 · uplink ok rtt 41 ms",
    );
  });

  it("names the adapters that are down and the uplink's state when it is not connected", () => {
    const line = new StatusLine();
    const text = line.format(
      stats(
        10,
        2500,
        { connected: false, status: "backoff" },
        { ...threeUp, plc: { state: "running", link: "down" }, fc: { state: "backoff" } },
      ),
      0,
    );
    expect(text).toBe("1/3 adapters up (plc down, fc backoff) · 0 pts/s · queue 2.5k · uplink backoff");
  });

  it("counts several uplinks", () => {
    const line = new StatusLine();
    const view: StatsView = {
      sources: { a: { received: 0, pending: 0 }, b: { received: 0, pending: 3 } },
      adapter_state: { x: { state: "running" } },
      uplinks: { a: { connected: true, rttMs: 12 }, b: { connected: false, status: "connecting" } },
    };
    expect(line.format(view, 0)).toBe("1 adapter up · 0 pts/s · queue 3 · uplinks 1/2 ok rtt 12 ms");
  });

  it("keeps numbers short", () => {
    expect([0, 7.25, 950, 1234, 12_400, 999_000, 3_210_000].map(compactNumber)).toEqual([
      "0",
      "7.3",
      "950",
      "1.2k",
      "12.4k",
      "999k",
      "3.2M",
    ]);
  });
});

describe("the stall detector behind the watchdog", () => {
  const moving = (acked: number, pending: number, connected = true) => ({
    s: { connected, pending, pointsAcked: acked, framesSent: acked },
  });

  it("is stuck only when a connected uplink with pending points makes no progress for longer than the limit", () => {
    const detector = new StallDetector(1000);
    expect(detector.check(moving(10, 5), 0)).toEqual([]);
    expect(detector.check(moving(10, 5), 900)).toEqual([]);
    expect(detector.check(moving(10, 5), 1100)).toEqual(["s: 5 points pending on a connected uplink, no progress for 1 s"]);
    // An ack moves it again.
    expect(detector.check(moving(11, 5), 1200)).toEqual([]);
    expect(detector.check(moving(11, 5), 2100)).toEqual([]);
  });

  it("is never stuck while disconnected (the uplink retries, the spool holds) or idle", () => {
    const detector = new StallDetector(1000);
    for (const t of [0, 2000, 4000]) expect(detector.check(moving(10, 500, false), t)).toEqual([]);
    const idle = new StallDetector(1000);
    for (const t of [0, 2000, 4000]) expect(idle.check(moving(10, 0), t)).toEqual([]);
    // Connected again with points pending: the limit counts from then, not from the first check.
    expect(detector.check(moving(10, 500), 4500)).toEqual([]);
    expect(detector.check(moving(10, 500), 5400)).toEqual([]);
    expect(detector.check(moving(10, 500), 5600)).toHaveLength(1);
  });
});
