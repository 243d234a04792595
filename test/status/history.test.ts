import { describe, expect, it } from "vitest";
import type { QueuedPoint } from "../../src/pipeline/batch-source.js";
import { MetricHistory } from "../../src/status/history.js";

const point = (metric: string, value: unknown): QueuedPoint => ({ class: "metric", metric, value, timestamp: 1 }) as QueuedPoint;
const sample = (adapter: string, p: QueuedPoint) => ({ adapter, sourceId: "s", point: p });

describe("metric history for the sparklines", () => {
  it("samples each numeric metric once per tick, carries the value forward, and keeps only the last `ticks`", () => {
    const history = new MetricHistory(3, 10);
    const a1 = point("a", 1);
    expect(history.record([sample("x", a1)], 1000).map((e) => e.metric)).toEqual(["a"]);
    // The same point object again: no change, the value is carried forward.
    expect(history.record([sample("x", a1)], 2000)).toEqual([]);
    history.record([sample("x", point("a", 5))], 3000);
    history.record([sample("x", point("a", 7))], 4000);
    const entry = [...history.all()][0];
    expect(history.series(entry)).toEqual([1, 5, 7]);
    expect(entry).toMatchObject({ value: 7, updatedAt: 4000, adapter: "x" });
  });

  it("keeps events' latest value without a series, booleans as 0/1", () => {
    const history = new MetricHistory(4, 10);
    history.record([sample("x", point("mode", "AUTO")), sample("x", point("armed", true))], 1000);
    history.record([sample("x", point("armed", false))], 2000);
    const [mode, armed] = [...history.all()];
    expect(mode.value).toBe("AUTO");
    expect(history.series(mode)).toEqual([]);
    expect(history.series(armed)).toEqual([1, 0]);
  });

  it("tracks at most maxMetrics and counts the rest as untracked", () => {
    const history = new MetricHistory(4, 2);
    history.record(
      ["a", "b", "c", "d"].map((m) => sample("x", point(m, 1))),
      1000,
    );
    expect(history.size).toBe(2);
    expect(history.untracked).toBe(2);
  });

  it("forgets a metric not updated for an hour", () => {
    const history = new MetricHistory(4, 10);
    history.record([sample("x", point("gone", 1))], 0);
    history.record([], 3_600_001);
    expect(history.size).toBe(0);
  });

  it("tells the same metric name of two adapters apart", () => {
    const history = new MetricHistory(4, 10);
    history.record([sample("x", point("t", 1)), sample("y", point("t", 2))], 0);
    expect([...history.all()].map((e) => `${e.adapter}:${e.value}`)).toEqual(["x:1", "y:2"]);
  });
});
