import { describe, expect, it } from "vitest";
import { accountingLines, healthText } from "../../src/status/accounting.js";
import { assessHealth } from "../../src/status/health.js";
import { Exposition, escapeLabelValue } from "../../src/status/prometheus.js";

describe("Prometheus text exposition", () => {
  it("writes HELP and TYPE once per family, then its samples, and leaves out empty families", () => {
    const x = new Exposition();
    const received = x.family("plexus_bridge_points_received_total", "counter", "Points received.");
    received({ adapter: "fc", source: "drone-1" }, 12);
    x.family("plexus_bridge_unused", "gauge", "Nothing here.");
    received({ adapter: "plc", source: undefined }, 3);
    x.family("process_resident_memory_bytes", "gauge", "RSS.")({}, 1024);
    x.family("plexus_bridge_uplink_rtt_seconds", "gauge", "RTT.")({ source: "a" }, undefined);
    expect(x.text()).toBe(
      [
        "# HELP plexus_bridge_points_received_total Points received.",
        "# TYPE plexus_bridge_points_received_total counter",
        'plexus_bridge_points_received_total{adapter="fc",source="drone-1"} 12',
        'plexus_bridge_points_received_total{adapter="plc"} 3',
        "# HELP process_resident_memory_bytes RSS.",
        "# TYPE process_resident_memory_bytes gauge",
        "process_resident_memory_bytes 1024",
        "",
      ].join("\n"),
    );
  });

  it("escapes label values and help text, writes NaN and infinities as Prometheus does", () => {
    expect(escapeLabelValue('a "quoted" \\ path\nnext')).toBe('a \\"quoted\\" \\\\ path\\nnext');
    const x = new Exposition();
    const g = x.family("g", "gauge", "line one\nline \\ two");
    g({ reason: 'value "NaN"' }, Number.NaN);
    g({ reason: "big" }, Number.POSITIVE_INFINITY);
    g({ reason: "small" }, Number.NEGATIVE_INFINITY);
    expect(x.text()).toBe(
      [
        "# HELP g line one\\nline \\\\ two",
        "# TYPE g gauge",
        'g{reason="value \\"NaN\\""} NaN',
        'g{reason="big"} +Inf',
        'g{reason="small"} -Inf',
        "",
      ].join("\n"),
    );
  });

  it("refuses names and label names outside the grammar", () => {
    const x = new Exposition();
    expect(() => x.family("bad-name", "gauge", "")).toThrow("invalid metric name");
    expect(() => x.family("ok", "gauge", "")({ "bad-label": "x" }, 1)).toThrow("invalid label name");
    expect(() => x.family("ok", "gauge", "")({ __reserved: "x" }, 1)).toThrow("invalid label name");
  });
});

const counted = (received: number, parts: Partial<Record<"invalid" | "dropped" | "acknowledged" | "pending", number>>, reasons = {}) => ({
  received,
  invalid: parts.invalid ?? 0,
  dropped: parts.dropped ?? 0,
  acknowledged: parts.acknowledged ?? 0,
  pending: parts.pending ?? 0,
  invalid_reasons: {},
  dropped_reasons: reasons,
});

describe("the counter identity in the stop line", () => {
  it("shows received = invalid + dropped + acknowledged + pending per source and adapter, with reasons and health counters", () => {
    const lines = accountingLines({
      sources: { "line-3": counted(110, { dropped: 10, acknowledged: 95, pending: 5 }, { "queue full": 10 }) },
      adapters: {
        plc: counted(110, { dropped: 10, acknowledged: 95, pending: 5 }, { "queue full": 10 }),
        "(bridge)": counted(4, { acknowledged: 3 }),
      },
      adapter_state: { plc: { counters: { timeouts: 2, crc_errors: 1 } } },
    });
    expect(lines).toEqual([
      "line-3 acknowledged=95 pending=5 dropped=10 invalid=0 received=110 (= invalid + dropped + acknowledged + pending); dropped: queue full ×10",
      "adapter plc acknowledged=95 pending=5 dropped=10 invalid=0 received=110 (= invalid + dropped + acknowledged + pending); dropped: queue full ×10; health: crc_errors=1 timeouts=2",
      "adapter (bridge) acknowledged=3 pending=0 dropped=0 invalid=0 received=4 (UNBALANCED: invalid + dropped + acknowledged + pending = 3)",
    ]);
  });

  it("adds the bytes each source's uplink put on the wire, compressed and not", () => {
    const [line] = accountingLines({
      sources: { "line-3": counted(5, { acknowledged: 5 }) },
      adapters: {},
      adapter_state: {},
      uplinks: { "line-3": { bytesSent: 120, bytesUncompressed: 1400 } },
    });
    expect(line).toMatch(/received=5 \(= invalid \+ dropped \+ acknowledged \+ pending\); wire bytes=120 \(uncompressed 1400\)$/);
  });

  it("keeps the health part of a line short", () => {
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`c${String(i).padStart(2, "0")}`, i]));
    expect(healthText(many)).toMatch(/^c00=0 c01=1 .* c11=11 and 3 more$/);
    expect(healthText({})).toBe("none counted");
  });
});

describe("health", () => {
  const adapter = (state: string, since_s: number, detail?: string) => ({ id: "plc1", state, since_s, detail });

  it("is ok with adapters up or finished and the uplink connected", () => {
    const health = assessHealth(
      {
        stopping: false,
        adapters: [adapter("up", 100), { ...adapter("finished", 5), id: "replay" }],
        sources: [{ id: "s", uplink: { status: "up", connected: true, since_s: 100 } }],
      },
      15,
    );
    expect(health).toEqual({ status: "ok", problems: [] });
  });

  it("reports a spool that takes no more at once, with the reason (the disk reserve)", () => {
    const health = assessHealth(
      {
        stopping: false,
        adapters: [adapter("up", 100)],
        sources: [{ id: "s", uplink: { status: "up", connected: true, since_s: 100 }, queue: { spool_full: "disk reserve" } }],
      },
      15,
    );
    expect(health).toEqual({ status: "degraded", problems: ["queue s: the spool takes no more (disk reserve)"] });
  });

  it("reports a state that outlasts the grace period, with its duration and detail; a refused key at once", () => {
    const health = assessHealth(
      {
        stopping: false,
        adapters: [adapter("down", 42, "ECONNREFUSED 10.0.0.5:502"), { ...adapter("connecting", 3), id: "new" }],
        sources: [
          { id: "a", uplink: { status: "backoff", connected: false, since_s: 20, last_error: "HTTP 502" } },
          { id: "b", uplink: { status: "auth_failed", connected: false, since_s: 0 } },
        ],
      },
      15,
    );
    expect(health).toEqual({
      status: "degraded",
      problems: [
        "adapter plc1: down for 42 s: ECONNREFUSED 10.0.0.5:502",
        "uplink a: not connected for 20 s: HTTP 502",
        "uplink b: API key refused for 0 s",
      ],
    });
  });

  it("says stopping while the bridge drains", () => {
    expect(assessHealth({ stopping: true, adapters: [], sources: [] }, 15).status).toBe("stopping");
  });
});
