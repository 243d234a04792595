/** The local gateway enforces the contract (PLEXUS-PROTOCOL.md) toward any client: here a plain ws client. */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Gateway, startGateway } from "../../src/gateway/server.js";

let gateway: Gateway | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await gateway?.close();
  gateway = undefined;
});

interface Client {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  next(type?: string): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
  /** Resolves on the pong of a ping sent now: every frame sent before it has been handled. */
  barrier(): Promise<void>;
}

async function connect(gw: Gateway): Promise<Client> {
  const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws/device`);
  clients.push(ws);
  const frames: Record<string, unknown>[] = [];
  let waiter: (() => void) | undefined;
  ws.on("message", (data) => {
    frames.push(JSON.parse(data.toString()));
    waiter?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let read = 0;
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    async next(type) {
      for (;;) {
        while (read < frames.length) {
          const frame = frames[read++];
          if (!type || frame.type === type) return frame;
        }
        await new Promise<void>((resolve) => (waiter = resolve));
      }
    },
    barrier: () => new Promise<void>((resolve) => ws.once("pong", () => resolve()).ping()),
  };
}

const auth = (source = "dev-1", key = "plx_anything") => ({
  type: "device_auth",
  api_key: key,
  source_id: source,
  platform: "plexus-bridge",
  agent_version: "0",
  sensors: [],
});
const point = (value: unknown, extra: Record<string, unknown> = {}) => ({
  class: "metric",
  metric: "m",
  value,
  timestamp: 1755700000123,
  ...extra,
});

describe("local gateway, WebSocket", () => {
  it("authenticates (dev mode) with server_time_ms, then stores valid telemetry", async () => {
    gateway = await startGateway({ faults: { skewMs: 1000 } });
    const c = await connect(gateway);
    c.send(auth());
    const authenticated = await c.next();
    expect(authenticated).toMatchObject({ type: "authenticated", source_id: "dev-1" });
    expect(Math.abs((authenticated.server_time_ms as number) - (Date.now() + 1000))).toBeLessThan(100);
    c.send({
      type: "telemetry",
      points: [point(1), { class: "event", metric: "e", value: { a: 1 } }, point(2, { timestamp: 1755700000 })],
    });
    await c.barrier();
    expect(gateway.points).toHaveLength(3);
    expect(gateway.points[2].timestamp).toBe(1755700000000); // seconds read as seconds
    expect(gateway.points[1].timestamp).toBe(gateway.points[1].received_at); // no timestamp: server time
  });

  it("refuses a bad key, a read-only key and a first message that is not device_auth, each with an error then 1008", async () => {
    gateway = await startGateway({ keys: ["plx_good"], readOnlyKeys: ["plx_reader"] });
    for (const [first, message] of [
      [auth("a", "plx_bad"), "Invalid API key"],
      [auth("a", "plx_reader"), "API key lacks write scope"],
      [{ type: "telemetry", points: [] }, "first message must be device_auth"],
    ] as const) {
      const c = await connect(gateway);
      c.send(first);
      expect(await c.next()).toEqual({ type: "error", message });
      expect((await c.closed).code).toBe(1008);
    }
  });

  // A count-only gateway (onFrame, nothing kept) validates frames on their bytes first
  // (fast-telemetry.ts): its verdicts and error frames must be the same.
  it.each([
    ["keeping points", false],
    ["counting only", true],
  ])("one invalid point rejects the whole frame with INVALID_MESSAGE naming it (%s)", async (_, countsOnly) => {
    let counted = 0;
    // Frames here follow each other within a loopback round trip: off with the 0.5 ms rule (tested below).
    gateway = await startGateway({
      limits: { minTelemetryGapMs: 0 },
      ...(countsOnly ? { keepPoints: false, onFrame: (_source: string, frame: { count: number }) => (counted += frame.count) } : {}),
    });
    const c = await connect(gateway);
    c.send(auth());
    await c.next("authenticated");
    const cases: [unknown, string][] = [
      [point("12"), "points[1].value must be a number for class=metric"],
      [point(true), "points[1].value must be a number for class=metric"],
      [{ class: "event", metric: "e", value: "x".repeat(257) }, "points[1].value exceeds 256 bytes"],
      [point(1, { tags: { a: 1 } }), "points[1].tags.a must be a string"],
      [
        point(1, { tags: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }),
        "points[1].tags has more than 16 entries",
      ],
      [point(1, { metric: "" }), "points[1].metric must be a non-empty string"],
      [point(null), "points[1].value is required"],
      [{ class: "gauge", metric: "m", value: 1 }, 'points[1].class must be "metric" or "event"'],
    ];
    for (const [bad, detail] of cases) {
      c.send({ type: "telemetry", points: [point(0), bad] });
      expect(await c.next("error")).toEqual({ type: "error", code: "INVALID_MESSAGE", detail });
    }
    c.send({ type: "telemetry", points: Array.from({ length: 10_001 }, () => point(1)) });
    expect(await c.next("error")).toMatchObject({ code: "INVALID_MESSAGE", detail: expect.stringContaining("too many points") });
    await c.barrier();
    expect(gateway.summary().get("dev-1")).toMatchObject({ points: 0, framesAccepted: 0 });
    c.send({ type: "telemetry", points: Array.from({ length: 10_000 }, (_, i) => point(i + 0.5)) });
    await c.barrier();
    expect(gateway.summary().get("dev-1")).toMatchObject({ points: 10_000, framesAccepted: 1 });
    expect(countsOnly ? counted : gateway.points.length).toBe(10_000);
  });

  it("closes the connection on a message over 1 MiB, without an error frame", async () => {
    gateway = await startGateway();
    const c = await connect(gateway);
    c.send(auth());
    await c.next("authenticated");
    c.send({ type: "telemetry", points: [{ class: "event", metric: "big", value: "x".repeat(1024 * 1024) }] });
    expect((await c.closed).code).toBe(1009);
    expect(c.frames.filter((f) => f.type === "error")).toHaveLength(0);
  });

  it("rate limits: RATE_LIMITED past the burst; frames of one source < 0.5 ms apart dropped silently", async () => {
    gateway = await startGateway({ limits: { telemetryPerSecond: 10, telemetryBurst: 5, minTelemetryGapMs: 0 } });
    const c = await connect(gateway);
    c.send(auth());
    await c.next("authenticated");
    for (let i = 0; i < 8; i++) c.send({ type: "telemetry", points: [point(i)] });
    await c.barrier();
    expect(gateway.points).toHaveLength(5);
    expect(c.frames.filter((f) => f.code === "RATE_LIMITED")).toHaveLength(3);
    await gateway.close();

    gateway = await startGateway({ limits: { minTelemetryGapMs: 0.5 } });
    const d = await connect(gateway);
    d.send(auth());
    await d.next("authenticated");
    // Back-to-back frames in one TCP write reach the gateway within microseconds of each other.
    const frames = Array.from({ length: 50 }, (_, i) => JSON.stringify({ type: "telemetry", points: [point(i)] }));
    for (const frame of frames) d.ws.send(frame);
    await d.barrier();
    const summary = gateway.summary().get("dev-1")!;
    expect(summary.framesDroppedSilently).toBeGreaterThan(0);
    expect(summary.framesAccepted + summary.framesDroppedSilently).toBe(50);
    expect(d.frames.filter((f) => f.type === "error")).toHaveLength(0); // silently: the pong still came
  });

  it("a second connection with the same source_id evicts the first; unknown device frames draw INVALID_MESSAGE", async () => {
    gateway = await startGateway();
    const first = await connect(gateway);
    first.send(auth("shared"));
    await first.next("authenticated");
    const second = await connect(gateway);
    second.send(auth("shared"));
    await second.next("authenticated");
    expect((await first.closed).code).toBe(1000);
    second.send({ type: "session_started", session_id: "s" });
    expect(await second.next("error")).toMatchObject({ code: "INVALID_MESSAGE", detail: "unknown message type: session_started" });
    second.send({ type: "heartbeat", source_id: "shared", agent_version: "0", uptime_s: 1 });
    await second.barrier();
    expect(gateway.messages.map((m) => m.message.type)).toEqual(["session_started", "heartbeat"]);
  });

  it("fault injection: going-away closes with 1001, drop terminates, offline refuses", async () => {
    gateway = await startGateway();
    const c = await connect(gateway);
    c.send(auth());
    await c.next("authenticated");
    expect(gateway.goAway()).toBe(1);
    expect((await c.closed).code).toBe(1001);
    const d = await connect(gateway);
    d.send(auth());
    await d.next("authenticated");
    gateway.dropConnections();
    expect((await d.closed).code).toBe(1006);
    gateway.faults.offline = true;
    await expect(connect(gateway)).rejects.toThrow();
  });
});

describe("local gateway, HTTP", () => {
  const post = (gw: Gateway, body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/ingest`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "plx_k", ...headers }, body });

  it("/health, 200 with count, gzip bodies, per-point source_id", async () => {
    gateway = await startGateway();
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    const body = JSON.stringify({ source_id: "s1", points: [point(1), point(2, { source_id: "s2" })] });
    const res = await post(gateway, gzipSync(body), { "content-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, count: 2 });
    expect(gateway.points.map((p) => p.source_id)).toEqual(["s1", "s2"]);
    expect((await post(gateway, JSON.stringify({ points: [] }))).status).toBe(200);
  });

  it("400 bad point, 401 bad key, 403 read-only, 413 too large (also after decompression)", async () => {
    gateway = await startGateway({ keys: ["plx_k"], readOnlyKeys: ["plx_r"], limits: { maxHttpBodyBytes: 10_000 } });
    const bad = await post(gateway, JSON.stringify({ source_id: "s", points: [point(1), point("x")] }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe("points[1].value must be a number for class=metric");
    expect((await post(gateway, "{}", { "x-api-key": "plx_nope" })).status).toBe(401);
    expect((await post(gateway, "{}", { "x-api-key": "plx_r" })).status).toBe(403);
    expect((await post(gateway, "x".repeat(20_000))).status).toBe(413);
    const bomb = gzipSync(JSON.stringify({ source_id: "s", points: [{ class: "event", metric: "m", value: "y".repeat(50_000) }] }));
    expect(bomb.length).toBeLessThan(10_000);
    expect((await post(gateway, bomb, { "content-encoding": "gzip" })).status).toBe(413);
    expect(gateway.points).toHaveLength(0);
  });
});
