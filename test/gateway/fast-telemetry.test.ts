/**
 * The gateway's fast path (fast-telemetry.ts) may only ever say "valid" where the full path
 * (JSON.parse + pointError) says so too, with the same count: checked on frames the bridge
 * writes, on hand-made edge cases, and on many random mutations of valid frames.
 */
import { isUtf8 } from "node:buffer";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/clock.js";
import { scanTelemetry } from "../../src/gateway/fast-telemetry.js";
import { pointError } from "../../src/gateway/validate.js";
import type { QueuedPoint } from "../../src/pipeline/batch-source.js";
import { encodeTelemetryFrame } from "../../src/uplink/frame-encoder.js";

const MAX_POINTS = 10_000;

/** The full path's verdict: the number of points, or undefined when it rejects the frame. */
function fullPath(data: Buffer): number | undefined {
  let message: unknown;
  try {
    message = JSON.parse(data.toString());
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) return undefined;
  const { type, points } = message as Record<string, unknown>;
  if (type !== "telemetry" || !Array.isArray(points) || points.length > MAX_POINTS) return undefined;
  return points.every((p, i) => pointError(p, i) === undefined) ? points.length : undefined;
}

function expectNeverLenient(data: Buffer): boolean {
  const fast = scanTelemetry(data, MAX_POINTS);
  if (fast) expect({ text: data.toString(), count: fullPath(data) }).toEqual({ text: data.toString(), count: fast.count });
  return fast !== undefined;
}

const frame = (points: string[]) => Buffer.from(`{"type":"telemetry","points":[${points.join(",")}]}`);
const metric = (rest = "") => `{"class":"metric","metric":"m","value":1.5,"timestamp":1755700000123${rest}}`;

const clock = new FakeClock();
clock.syncFromServer(1_755_700_000_000, 0, clock.mono);
const bridgePoints: QueuedPoint[] = [
  { class: "metric", metric: "motor.rpm", value: 3450.5, timestamp: clock.mono + 1, mono: true, tags: { bus: "can0" }, session_id: "s1" },
  { class: "metric", metric: "neg", value: -0.000001, timestamp: 1_700_000_000_000 },
  { class: "metric", metric: "big", value: 1.5e99, timestamp: 1_700_000_000_000 },
  { class: "metric", metric: "tiny", value: 5e-99, timestamp: 1_700_000_000_000.5 },
  { class: "event", metric: "flag", value: true, timestamp: 1_700_000_000_001 },
  { class: "event", metric: "label", value: "ok é 中", timestamp: 1_700_000_000_002 },
  { class: "event", metric: "count", value: 7, timestamp: 1_700_000_000_003 },
  { class: "event", metric: "emoji😀", value: "x", timestamp: 1_700_000_000_004, tags: { ключ: "значение" } },
];

describe("gateway fast path", () => {
  it("accepts the frames the bridge writes, with their count and timestamps", () => {
    const data = encodeTelemetryFrame(bridgePoints, clock);
    const scan = scanTelemetry(data, MAX_POINTS);
    expect(scan?.count).toBe(bridgePoints.length);
    expect(scan?.timestamp(0)).toBe(1_755_700_000_001);
    expect(scan?.timestamp(3)).toBe(1_700_000_000_000.5);
    expect(fullPath(data)).toBe(bridgePoints.length);
    expect(scanTelemetry(frame([]), MAX_POINTS)?.count).toBe(0);
  });

  it("leaves every invalid or unusual frame to the full path", () => {
    const invalid = [
      frame([metric().replace('"m"', `"${"a".repeat(257)}"`)]),
      frame([metric().replace('"m"', `"${"é".repeat(129)}"`)]),
      frame([metric().replace('"m"', '""')]),
      frame([metric().replace("1.5", "1e400")]),
      frame([metric().replace("1.5", "true")]),
      frame([metric().replace("1.5", '"1.5"')]),
      frame([metric().replace("1.5", "null")]),
      frame([metric().replace("1.5", "01")]),
      frame([metric().replace("1755700000123", "1e999")]),
      frame([metric().replace(',"timestamp":1755700000123', "")]),
      frame([metric(`,"tags":{${Array.from({ length: 17 }, (_, i) => `"k${i}":"v"`).join(",")}}`)]),
      frame([metric(',"tags":{"k":1}')]),
      frame([metric(`,"tags":{"k":"${"v".repeat(257)}"}`)]),
      frame([metric(',"source_id":"Bad Id"')]),
      frame([metric(',"session_id":"a\\"b"')]),
      frame([metric().replace("metric", "metrics")]),
      frame([metric()]).subarray(0, -1),
      Buffer.concat([frame([metric()]), Buffer.from(" ")]),
      Buffer.from(`{"type":"telemetry","points":[${metric()},]}`),
      Buffer.from(`{"type":"telemetry","points":[${metric()}${metric()}]}`),
      Buffer.from(`{"type":"telemetry", "points":[${metric()}]}`),
      Buffer.from(`{"type":"heartbeat","points":[${metric()}]}`),
      frame(Array.from({ length: MAX_POINTS + 1 }, () => metric())),
    ];
    for (const data of invalid) expect(scanTelemetry(data, MAX_POINTS), data.toString().slice(0, 300)).toBeUndefined();
    // What the full path accepts but the fast path leaves to it anyway.
    const slow = [
      frame([metric().replace("1.5", "1.7976931348623157e+308")]),
      frame([metric().replace("1.5", "5e-324")]),
      frame([metric().replace('"metric","metric"', '"event","metric"').replace("1.5", '{"a":1}')]),
      frame([metric(',"source_id":"ok"')]),
      frame([metric().replace('"m"', '"a\\nb"')]),
    ];
    for (const data of slow) {
      expect(fullPath(data)).toBe(1);
      expect(scanTelemetry(data, MAX_POINTS)).toBeUndefined();
    }
    // At the limits: still fast.
    const edge = frame([
      metric().replace('"m"', `"${"é".repeat(128)}"`),
      metric(`,"tags":{${Array.from({ length: 16 }, (_, i) => `"k${i}":"${"v".repeat(256)}"`).join(",")}}`),
      metric().replace("1.5", "-0"),
    ]);
    expect(expectNeverLenient(edge)).toBe(true);
  });

  it("is never more lenient than the full path (random mutations of valid frames)", () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const bytes = [...'"\\ 0-1e.,:{}[]xtfn\u0001'].map((c) => c.charCodeAt(0));
    const base = [encodeTelemetryFrame(bridgePoints, clock), frame([metric(), metric(',"tags":{"a":"b"},"session_id":"s"')])];
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const source = base[i % base.length];
      const at = Math.floor(random() * source.length);
      const byte = bytes[Math.floor(random() * bytes.length)];
      const kind = random();
      const data =
        kind < 0.4
          ? Buffer.concat([source.subarray(0, at), Buffer.from([byte]), source.subarray(at + 1)])
          : kind < 0.7
            ? Buffer.concat([source.subarray(0, at), Buffer.from([byte]), source.subarray(at)])
            : Buffer.concat([source.subarray(0, at), source.subarray(at + 1 + Math.floor(random() * 4))]);
      if (!isUtf8(data)) continue; // ws refuses such text messages before the gateway sees them
      if (expectNeverLenient(data)) fast++;
    }
    expect(fast).toBeGreaterThan(500);
  });
});
