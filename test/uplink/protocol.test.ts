/** Pure pieces of the uplink: URLs, the encoder, backoff, bisection, persisted state, device-error pacing. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/backoff.js";
import { BridgeClock, FakeClock } from "../../src/clock.js";
import type { QueuedPoint } from "../../src/pipeline/batch-source.js";
import { pointJson } from "../../src/pipeline/point-json.js";
import { findRefused, type ProbeOutcome } from "../../src/uplink/bisect.js";
import { plexusProblems } from "../../src/uplink/check.js";
import { DeviceErrorReporter } from "../../src/uplink/device-errors.js";
import { encodeIngestBody, encodeTelemetryFrame } from "../../src/uplink/frame-encoder.js";
import { MAX_NUMBER_CHARS, writeNumber } from "../../src/uplink/number-bytes.js";
import { assertSecure, deviceWebSocketUrl, ingestUrl, rejectedPointIndex, wallOffset } from "../../src/uplink/protocol.js";
import { defaultStateDir, UplinkState } from "../../src/uplink/state.js";
import { plexusOptions, tempDir } from "./helpers.js";

/** The frame as the spool's string encoder (pointJson) writes each point: the reference for the byte encoder. */
function referenceFrame(head: string, points: readonly QueuedPoint[], clock: BridgeClock, from = 0, to = points.length): string {
  const monoToWall = wallOffset(clock);
  const items = points.slice(from, to).map((p) => pointJson(p, p.mono ? Math.round(p.timestamp + monoToWall) : p.timestamp));
  return `${head}${items.join(",")}]}`;
}
const encodeTelemetry = (points: readonly QueuedPoint[], clock: BridgeClock, from?: number, to?: number) =>
  referenceFrame('{"type":"telemetry","points":[', points, clock, from, to);

describe("URLs", () => {
  it("appends /ws/device to a bare base and maps http(s) to ws(s)", () => {
    expect(deviceWebSocketUrl("wss://gateway.plexus.company").href).toBe("wss://gateway.plexus.company/ws/device");
    expect(deviceWebSocketUrl("https://plexus-gateway.fly.dev/").href).toBe("wss://plexus-gateway.fly.dev/ws/device");
    expect(deviceWebSocketUrl("http://127.0.0.1:8080").href).toBe("ws://127.0.0.1:8080/ws/device");
    expect(deviceWebSocketUrl("wss://example.com/custom/path").pathname).toBe("/custom/path");
    expect(() => deviceWebSocketUrl("ftp://example.com")).toThrow(/ws:\/\/, wss:\/\//);
  });

  it("derives the ingest URL from the gateway URL unless http_url is given", () => {
    expect(ingestUrl("wss://gateway.plexus.company").href).toBe("https://gateway.plexus.company/ingest");
    expect(ingestUrl("ws://localhost:9000/ws/device").href).toBe("http://localhost:9000/ingest");
    expect(ingestUrl("wss://x", "https://app.plexus.company/api/ingest").href).toBe("https://app.plexus.company/api/ingest");
  });

  it("requires TLS except to loopback, unless allow_insecure", () => {
    expect(() => assertSecure(new URL("ws://10.0.0.5/ws/device"), false, "plexus.url")).toThrow(/not encrypted.*allow_insecure/);
    expect(() => assertSecure(new URL("ws://127.0.0.1:1/ws/device"), false, "plexus.url")).not.toThrow();
    expect(() => assertSecure(new URL("ws://localhost:1/"), false, "plexus.url")).not.toThrow();
    expect(() => assertSecure(new URL("http://[::1]:1/"), false, "plexus.url")).not.toThrow();
    expect(() => assertSecure(new URL("ws://10.0.0.5/"), true, "plexus.url")).not.toThrow();
  });
});

describe("plexusProblems (for check)", () => {
  it("names an insecure or malformed URL, and is silent about a good config", () => {
    expect(plexusProblems(plexusOptions({}))).toEqual([]);
    expect(plexusProblems(plexusOptions({ url: "ws://10.0.0.9:8080" }))[0]).toMatch(/plexus.url ws:\/\/10.0.0.9:8080 is not encrypted/);
    expect(plexusProblems(plexusOptions({ url: "not a url" }))[0]).toMatch(/plexus.url "not a url" is not a valid URL/);
    expect(plexusProblems(plexusOptions({ url: "ws://10.0.0.9", transport: "http", http_url: "https://ingest.example/ingest" }))).toEqual(
      [],
    );
  });
});

describe("telemetry encoding", () => {
  const clock = new FakeClock();
  clock.syncFromServer(1_755_700_000_000, 0, clock.mono);

  it("writes exactly the JSON of the point, mapping monotonic stamps through the server offset", () => {
    const points: QueuedPoint[] = [
      {
        class: "metric",
        metric: "motor.rpm",
        value: 3450.5,
        timestamp: clock.mono + 123,
        mono: true,
        tags: { bus: "can0" },
        session_id: "s1",
      },
      { class: "event", metric: 'odd"name\n', value: { nested: [1, "x"] }, timestamp: 1_700_000_000_000 },
      { class: "event", metric: "flag", value: true, timestamp: 1_700_000_000_001 },
      { class: "event", metric: "emoji😀", value: "label", timestamp: 1_700_000_000_002 },
    ];
    const frame = JSON.parse(encodeTelemetryFrame(points, clock).toString());
    expect(frame).toEqual({
      type: "telemetry",
      points: [
        { class: "metric", metric: "motor.rpm", value: 3450.5, timestamp: 1_755_700_000_123, tags: { bus: "can0" }, session_id: "s1" },
        { class: "event", metric: 'odd"name\n', value: { nested: [1, "x"] }, timestamp: 1_700_000_000_000 },
        { class: "event", metric: "flag", value: true, timestamp: 1_700_000_000_001 },
        { class: "event", metric: "emoji😀", value: "label", timestamp: 1_700_000_000_002 },
      ],
    });
    expect(JSON.parse(encodeTelemetryFrame(points, clock, 1, 3).toString()).points).toHaveLength(2);
    // The byte encoder writes exactly the bytes of the spool's string encoder, frame and HTTP body alike.
    expect(encodeTelemetryFrame(points, clock).toString()).toBe(encodeTelemetry(points, clock));
    expect(encodeTelemetryFrame(points, clock, 1, 3).toString()).toBe(encodeTelemetry(points, clock, 1, 3));
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...points[i % points.length], value: i % 4 === 1 ? `é${i}` : i / 7 }));
    expect(encodeTelemetryFrame(many, clock).toString()).toBe(encodeTelemetry(many, clock));
    expect(encodeIngestBody('line-"3"', many, clock, 5, 900).toString()).toBe(
      referenceFrame('{"source_id":"line-\\"3\\"","points":[', many, clock, 5, 900),
    );
    expect(encodeIngestBody("line-3", [], clock).toString()).toBe('{"source_id":"line-3","points":[]}');
  });

  it("writes numbers exactly as String() does", () => {
    const buf = Buffer.alloc(MAX_NUMBER_CHARS);
    const written = (value: number) => buf.toString("latin1", 0, writeNumber(buf, 0, value));
    const special = [0, -0, 1, -1, 0.5, 0.05, 1e-6, 1.5e-6, 1e-7, 123.456, 1e21, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 2 ** 30 - 0.5];
    for (const value of [...special, 0.1 + 0.2, 1 / 3, 1.7976931348623157e308, 5e-324, 1_755_700_000_123, 1_755_700_000_123.5])
      expect(written(value)).toBe(String(value));
    let seed = 3;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 100_000; i++) {
      const magnitude = 10 ** Math.floor(random() * 14 - 4);
      const raw = Math.round((random() - 0.5) * magnitude * 1e6);
      for (const value of [raw / 10 ** (i % 8), raw * 0.1 ** (i % 8), (random() - 0.5) * magnitude, Math.fround(random() * magnitude)]) {
        if (written(value) !== String(value)) expect(written(value)).toBe(String(value));
      }
    }
  });

  it("before any sync maps monotonic stamps through the local wall clock", () => {
    const fresh = new FakeClock();
    const point: QueuedPoint = { class: "metric", metric: "m", value: 1, timestamp: fresh.mono - 40, mono: true };
    const timestampOf = (p: QueuedPoint, clock: BridgeClock) => JSON.parse(encodeTelemetryFrame([p], clock).toString()).points[0].timestamp;
    expect(timestampOf(point, fresh)).toBe(fresh.wallMs - 40);
    const real = new BridgeClock();
    const stamped = timestampOf({ ...point, timestamp: real.monotonicMs() }, real);
    expect(Math.abs(stamped - Date.now())).toBeLessThan(5);
  });

  it("reads the index an INVALID_MESSAGE names", () => {
    expect(rejectedPointIndex("points[3].value must be a number for class=metric")).toBe(3);
    expect(rejectedPointIndex("too many points")).toBeUndefined();
  });
});

describe("Backoff", () => {
  it("doubles from the initial delay to the cap with ±25 % jitter, and starts over after reset", () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => low.next())).toEqual([750, 1500, 3000, 6000, 12_000, 24_000, 45_000, 45_000]);
    const high = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 1 });
    for (let i = 0; i < 10; i++) high.next();
    expect(high.next()).toBe(75_000);
    high.reset();
    expect(high.next()).toBe(1250);
  });
});

describe("findRefused", () => {
  /** A fake gateway that refuses any range containing a bad index; records every probe. */
  function gatewayRefusing(bad: Set<number>, nameIndex: boolean) {
    const probes: [number, number][] = [];
    const delivered: number[] = [];
    const probe = async (from: number, to: number): Promise<ProbeOutcome> => {
      probes.push([from, to]);
      for (let i = from; i < to; i++) {
        if (bad.has(i)) return { kind: "refused", reason: `points[${i - from}] bad`, index: nameIndex ? i - from : undefined };
      }
      for (let i = from; i < to; i++) delivered.push(i);
      return { kind: "accepted" };
    };
    return { probe, probes, delivered };
  }

  it("with the index named: finds every refused point in a few probes and delivers each other point once", async () => {
    const g = gatewayRefusing(new Set([17, 4000]), true);
    const refused = await findRefused(0, 5000, g.probe);
    expect([...refused.keys()].sort((a, b) => a - b)).toEqual([17, 4000]);
    expect(g.delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 5000 }, (_, i) => i).filter((i) => i !== 17 && i !== 4000));
    expect(g.probes.length).toBeLessThanOrEqual(8);
  });

  it("without an index: bisects in O(log n) probes", async () => {
    const g = gatewayRefusing(new Set([1234]), false);
    const refused = await findRefused(0, 5000, g.probe);
    expect([...refused.keys()]).toEqual([1234]);
    expect(new Set(g.delivered).size).toBe(4999);
    expect(g.probes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(5000)) + 1);
  });

  it("retries the same range after a retry outcome", async () => {
    let calls = 0;
    const refused = await findRefused(0, 10, async () => (++calls < 3 ? { kind: "retry" } : { kind: "accepted" }));
    expect(refused.size).toBe(0);
    expect(calls).toBe(3);
  });
});

describe("persisted state", () => {
  it("generates the install id once and keeps it; remembers adopted source ids", () => {
    const dir = join(tempDir(), "nested", "state");
    const first = new UplinkState(dir).installId();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(new UplinkState(dir).installId()).toBe(first);
    expect(readFileSync(join(dir, "install-id"), "utf8").trim()).toBe(first);
    const state = new UplinkState(dir);
    expect(state.adoptedSourceId("press")).toBeUndefined();
    state.saveAdoptedSourceId("press", "press-7f3a");
    expect(new UplinkState(dir).adoptedSourceId("press")).toBe("press-7f3a");
  });

  it("defaults to systemd's state directory, else a per-user one", () => {
    expect(defaultStateDir({ STATE_DIRECTORY: "/var/lib/plexus-bridge:/other" })).toBe("/var/lib/plexus-bridge");
    expect(defaultStateDir({ INVOCATION_ID: "abc" })).toBe("/var/lib/plexus-bridge");
    expect(defaultStateDir({ XDG_STATE_HOME: "/home/u/.state" })).toBe("/home/u/.state/plexus-bridge");
    expect(defaultStateDir({})).toMatch(/\.local\/state\/plexus-bridge$/);
  });
});

describe("DeviceErrorReporter", () => {
  it("sends at most one report per adapter per interval, the latest winning, and holds them while disconnected", async () => {
    let now = 0;
    let connected = false;
    const sent: Record<string, unknown>[] = [];
    const reporter = new DeviceErrorReporter(
      1000,
      (frame) => connected && sent.push(frame) > 0,
      () => now,
    );
    reporter.report("adapter.plc1", "connect ECONNREFUSED", "error");
    expect(sent).toHaveLength(0);
    connected = true;
    reporter.flush();
    expect(sent).toEqual([{ type: "device_error", source: "adapter.plc1", error: "connect ECONNREFUSED", severity: "error" }]);
    now = 100;
    reporter.report("adapter.plc1", "timeout", "error");
    reporter.report("adapter.plc1", "up again", "info");
    reporter.report("adapter.can0", "bus-off", "warning");
    expect(sent.map((f) => f.error)).toEqual(["connect ECONNREFUSED", "bus-off"]);
    now = 1000;
    reporter.flush();
    expect(sent.map((f) => f.error)).toEqual(["connect ECONNREFUSED", "bus-off", "up again"]);
    expect(reporter.pendingCount).toBe(0);
    reporter.stop();
  });
});
