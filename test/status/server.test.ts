import { type AddressInfo, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/child.js";
import { API_KEY, type RunningBridge, STATUS_TOKEN, startBridge } from "./bridge.js";

let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const ADAPTERS = ["adapters:", "  gen:", "    type: testseq", "    batch: 50", "    interval: 20ms"].join("\n");

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${bridge!.url}${path}`, { headers });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text(), headers: response.headers };
}

/** Reads the first `count` messages of /events. */
async function events(count: number, headers: Record<string, string> = {}): Promise<unknown[]> {
  const controller = new AbortController();
  const response = await fetch(`${bridge!.url}/events`, { headers, signal: controller.signal });
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const decoder = new TextDecoder();
  const messages: unknown[] = [];
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      if (data) messages.push(JSON.parse(data));
      end = buffer.indexOf("\n\n");
    }
    if (messages.length >= count) break;
  }
  controller.abort();
  return messages;
}

describe("status server against a running bridge and the local gateway", () => {
  it("/health is 200 with every adapter up and the uplink connected", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await bridge.acknowledged(1);
    bridge.operations.collector!.tick();
    const health = await get("/health");
    expect(health.status).toBe(200);
    expect(health.type).toBe("application/json");
    expect(JSON.parse(health.text)).toEqual({
      status: "ok",
      problems: [],
      adapters: { gen: "up" },
      uplinks: { "status-test": "connected" },
    });
  });

  it("/health is 503 with the reason when an adapter cannot start", async () => {
    const failing = ["  bad:", "    type: testseq", "    fail_starts: 1000"].join("\n");
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}\n${failing}`);
    await waitFor(() => (bridge!.daemon.supervisor("bad")?.restarts ?? 0) > 0, 10_000, "a failed start");
    await bridge.acknowledged(1);
    bridge.operations.collector!.tick();
    const health = await get("/health");
    expect(health.status).toBe(503);
    const body = JSON.parse(health.text);
    expect(body.status).toBe("degraded");
    expect(body.problems).toEqual([expect.stringMatching(/^adapter bad: (backoff|starting) for \d+ s: refused start #\d+$/)]);
    expect(body.adapters.gen).toBe("up");
  });

  it("/metrics is Prometheus text with the counter identity, queue, uplink, adapter and process families", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    await bridge.acknowledged(200);
    bridge.operations.collector!.tick();
    const { status, type, text } = await get("/metrics");
    expect(status).toBe(200);
    expect(type).toBe("text/plain; version=0.0.4; charset=utf-8");
    // Every line is a comment or `name{labels} value` in the exposition grammar.
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+|NaN)$/,
      );
    }
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"()]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    const labels = '{adapter="gen",source="status-test"}';
    const received = value(`plexus_bridge_points_received_total${labels}`);
    const acknowledged = value(`plexus_bridge_points_acknowledged_total${labels}`);
    const pending = value(`plexus_bridge_points_pending${labels}`);
    expect(received).toBeGreaterThanOrEqual(200);
    expect(received).toBe(acknowledged + pending);
    expect(text).toContain("# TYPE plexus_bridge_points_acknowledged_total counter");
    expect(value('plexus_bridge_source_points_received_total{source="status-test"}')).toBeGreaterThanOrEqual(received);
    expect(text).toMatch(/^plexus_bridge_queue_points\{source="status-test",store="memory"\} \d+$/m);
    expect(text).toMatch(/^plexus_bridge_queue_bytes\{source="status-test",store="spool"\} 0$/m);
    expect(value('plexus_bridge_uplink_connected{source="status-test"}')).toBe(1);
    expect(value('plexus_bridge_uplink_state{source="status-test",state="up"}')).toBe(1);
    expect(text).toMatch(/^plexus_bridge_uplink_rtt_seconds\{source="status-test"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^plexus_bridge_uplink_clock_offset_seconds\{source="status-test"\} -?[0-9.e-]+$/m);
    expect(value('plexus_bridge_uplink_reconnects_total{source="status-test"}')).toBe(0);
    expect(value('plexus_bridge_uplink_frames_sent_total{source="status-test"}')).toBeGreaterThan(0);
    expect(value('plexus_bridge_adapter_state{adapter="gen",state="up"}')).toBe(1);
    expect(value('plexus_bridge_adapter_state{adapter="gen",state="down"}')).toBe(0);
    expect(value('plexus_bridge_adapter_restarts_total{adapter="gen"}')).toBe(0);
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect(text).toMatch(/^plexus_bridge_event_loop_delay_p99_seconds [0-9.e-]+$/m);
    expect(value("plexus_bridge_healthy")).toBe(1);
  });

  it("/metrics carries the adapters' own health counters and the reasons of invalid points", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    const supervisor = bridge.daemon.supervisor("gen")!;
    // What an adapter's ctx.count() adds: the supervisor's counters.
    supervisor.counters.set("crc_errors", 3);
    supervisor.counters.set("exceptions.hr.voltage", 1);
    const origin = bridge.daemon.pipeline.origin("gen")!;
    bridge.daemon.pipeline.ingest(origin, [{ metric: "bad", value: Number.NaN }]);
    bridge.operations.collector!.tick();
    const { text } = await get("/metrics");
    expect(text).toContain('plexus_bridge_adapter_health_total{adapter="gen",type="testseq",counter="crc_errors"} 3');
    expect(text).toContain('plexus_bridge_adapter_health_total{adapter="gen",type="testseq",counter="exceptions.hr.voltage"} 1');
    expect(text).toContain(
      'plexus_bridge_points_invalid_total{adapter="gen",source="status-test",reason="value NaN is not a finite number"} 1',
    );
  });

  it("/events streams a snapshot at once and one per tick with the metrics' latest values; / and its assets are served", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    const [first, second] = (await events(2)) as {
      snapshot: { adapters: { id: string }[] };
      values: { metric: string; value: unknown }[];
    }[];
    expect(first.snapshot.adapters.map((a) => a.id)).toContain("gen");
    expect(second.values.find((v) => v.metric === "gen.seq")?.value).toEqual(expect.any(Number));
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.text).toContain('<script src="app.js"></script>');
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect((await get("/app.js")).text).toContain("new EventSource");
    expect((await get("/style.css")).status).toBe(200);
    const history = JSON.parse((await get("/api/history")).text);
    expect(history.metrics.find((m: { metric: string }) => m.metric === "gen.seq").series.length).toBeGreaterThan(0);
    expect((await get("/nope")).status).toBe(404);
  });

  it("the bridge's own telemetry reaches the gateway as bridge.* points", async () => {
    bridge = await startBridge(`status: false\ntelemetry: {interval: 1s}\n${ADAPTERS}`);
    expect(bridge.operations.server).toBeUndefined();
    await waitFor(() => bridge!.gateway.points.some((p) => p.metric === "bridge.adapter.state"), 15_000, "telemetry");
    const metrics = new Set(bridge.gateway.points.map((p) => p.metric as string));
    for (const name of [
      "bridge.points_per_s",
      "bridge.queue.pending",
      "bridge.uplink.reconnects",
      "bridge.points.dropped",
      "bridge.adapter.points_per_s",
    ]) {
      expect(metrics).toContain(name);
    }
    const state = bridge.gateway.points.find((p) => p.metric === "bridge.adapter.state")!;
    expect(state).toMatchObject({ value: "up", tags: { adapter: "gen" } });
    expect(bridge.gateway.points.find((p) => p.metric === "bridge.queue.pending")?.tags).toEqual({ source: "status-test" });
  });

  it("telemetry: false sends nothing of the bridge's own", async () => {
    bridge = await startBridge(`status: false\ntelemetry: false\n${ADAPTERS}`);
    await bridge.acknowledged(200);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(bridge.gateway.points.filter((p) => String(p.metric).startsWith("bridge."))).toEqual([]);
    expect(bridge.operations.collector).toBeUndefined();
  });
});

describe("status server next to the rest of the bridge", () => {
  it("a port already taken is logged and the bridge runs on without its status server", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      bridge = await startBridge(`status: {listen: "127.0.0.1:${port}"}\n${ADAPTERS}`);
      expect(bridge.operations.server).toBeUndefined();
      expect(bridge.log.lines.find((l) => l.level === "error")?.message).toMatch(
        new RegExp(`^status server not started on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*; the bridge runs without it$`),
      );
      await bridge.acknowledged(1);
    } finally {
      taken.close();
    }
  });

  it("shows the config file, the start and the last reload", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    const before = JSON.parse((await get("/api/status")).text);
    expect(before.config.file).toMatch(/config\.yaml$/);
    expect(before.config.reloaded_at).toBeUndefined();
    const { loadConfig } = await import("../../src/config/index.js");
    const { config } = await loadConfig(before.config.file, { env: {} });
    await bridge.daemon.reload({ ...config!, telemetry: false });
    expect(bridge.log.lines.map((l) => l.message)).toContain(
      "changes to the status: and telemetry: sections take effect at the next restart",
    );
    bridge.operations.collector!.tick();
    const after = JSON.parse((await get("/api/status")).text);
    expect(after.config.reloaded_at).toBeGreaterThanOrEqual(before.config.started_at);
    expect((await get("/metrics")).text).toMatch(/^plexus_bridge_config_reload_time_seconds \d+(\.\d+)?$/m);
  });
});

describe("status server secrets and its token", () => {
  const withToken = `status: {listen: "127.0.0.1:0", token: !file status_token}\n${ADAPTERS}`;
  const bearer = { Authorization: `Bearer ${STATUS_TOKEN}` };

  it("refuses requests without the token, accepts it as Bearer or as a Basic password", async () => {
    bridge = await startBridge(withToken);
    for (const path of ["/", "/health", "/metrics", "/api/status", "/api/history", "/events", "/app.js"]) {
      const refused = await get(path);
      expect(refused.status, path).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    }
    expect((await get("/health", { Authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await get("/metrics", bearer)).status).toBe(200);
    const basic = `Basic ${Buffer.from(`anyone:${STATUS_TOKEN}`).toString("base64")}`;
    expect((await get("/", { Authorization: basic })).status).toBe(200);
  });

  it("neither the API key nor the token appears on any endpoint", async () => {
    bridge = await startBridge(withToken);
    await bridge.acknowledged(1);
    // An adapter whose error quotes a secret (a URL with the key in it) and a metric value that does.
    const supervisor = bridge.daemon.supervisor("gen")!;
    supervisor.lastError = `connect https://user:${API_KEY}@example.invalid failed`;
    bridge.daemon.pipeline.ingest(bridge.daemon.pipeline.origin("gen")!, [{ metric: "note", value: `token ${STATUS_TOKEN}` }]);
    bridge.operations.collector!.tick();
    const bodies = await Promise.all(
      ["/", "/app.js", "/health", "/metrics", "/api/status", "/api/history", "/nope"].map((p) => get(p, bearer)),
    );
    bodies.push({ status: 200, type: "", text: JSON.stringify(await events(2, bearer)), headers: new Headers() });
    for (const { text } of bodies) {
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain("statustest0000");
      expect(text).not.toContain(STATUS_TOKEN);
    }
    expect(JSON.parse((await get("/api/status", bearer)).text).adapters[0].last_error).toBe(
      "connect https://user:(redacted)@example.invalid failed",
    );
    expect(JSON.stringify(bridge.log.lines)).not.toContain(STATUS_TOKEN);
  });
});
