/**
 * The adapter against aedes, a real MQTT 3.1.1 broker in process: JSON with topic templates,
 * malformed payloads (counted, logged once per interval, never stopping the adapter), QoS 1
 * acknowledged only after the queue took the points, refused credentials, Sparkplug rebirth
 * through the broker, and mqtt_publish with allow_publish.
 */
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import mqttAdapter from "../../../adapters/mqtt/index.js";
import { decodeSparkplug } from "../../../adapters/mqtt/sparkplug/codec.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { type AedesBroker, startAedes, testClient, waitFor } from "./brokers.js";
import { payloadOf, vector } from "./vectors.js";

let broker: AedesBroker | undefined;
let adapter: Adapter | undefined;
let publisher: MqttClient | undefined;
afterEach(async () => {
  await adapter?.stop();
  await publisher?.endAsync();
  await broker?.close();
  adapter = publisher = broker = undefined;
});

async function setUp(options: Record<string, unknown>, harness = new AdapterHarness({ id: "plant" })) {
  broker ??= await startAedes();
  adapter = harness.create(mqttAdapter, { url: broker.url, reconnect_min: 100, ...options });
  await adapter.start();
  await waitFor(() => harness.states.some((s) => s.state === "up"), "the adapter up");
  publisher = await testClient(broker.url);
  return harness;
}

describe("mqtt adapter on aedes (MQTT 3.1.1)", () => {
  it("maps Tasmota JSON with the issue's topic template and says it is up", async () => {
    const harness = await setUp({ subscriptions: [{ topic: "+/tele/SENSOR", metric: "{1}.{path}", tags: { device: "{1}" } }] });
    expect(harness.states.at(-1)?.detail).toMatch(/connected to mqtt:\/\/127\.0\.0\.1:\d+, 1 subscription/);
    await publisher!.publishAsync("tasmota_49A3BC/tele/SENSOR", '{"AM2301":{"Temperature":21.5,"Humidity":40}}', { qos: 1 });
    await harness.waitForPoints(2);
    expect(harness.points).toEqual([
      { metric: "tasmota_49A3BC.AM2301.Temperature", value: 21.5, tags: { device: "tasmota_49A3BC" } },
      { metric: "tasmota_49A3BC.AM2301.Humidity", value: 40, tags: { device: "tasmota_49A3BC" } },
    ]);
  });

  it("WebSockets: ws:// to the same broker", async () => {
    broker = await startAedes({}, true);
    const harness = await setUp({ subscriptions: [{ topic: "ws/#", format: "value" }] });
    expect(broker.url).toMatch(/^ws:/);
    await publisher!.publishAsync("ws/a", "3", { qos: 1 });
    await harness.waitForPoints(1);
    expect(harness.points).toEqual([{ metric: "ws.a", value: 3 }]);
  });

  it("counts malformed payloads per subscription, logs one line per interval with topic and first bytes, and goes on", async () => {
    const harness = await setUp({ subscriptions: [{ topic: "dev/#" }], malformed_log_interval: "1h" });
    for (let i = 0; i < 3; i++) await publisher!.publishAsync("dev/a", `{broken ${i}`, { qos: 1 });
    await publisher!.publishAsync("dev/a", Buffer.from([0xde, 0xad, 0xbe, 0xef]), { qos: 1 });
    await publisher!.publishAsync("dev/a", '{"ok":1}', { qos: 1 });
    await harness.waitForPoints(1);
    expect(harness.points).toEqual([{ metric: "dev.a.ok", value: 1 }]);
    expect(harness.counters.get("malformed_payloads")).toBe(4);
    expect(harness.counters.get("malformed_payloads:dev/#")).toBe(4);
    const lines = harness.log.lines.filter((l) => l.message.startsWith("payload does not parse"));
    expect(lines).toHaveLength(1);
    expect(lines[0].fields).toMatchObject({ topic: "dev/a", first_bytes: '"{broken 0"', subscription: "dev/#" });
  });

  it("QoS 1: stops acknowledging over the high-water mark, resumes on drain, loses nothing", async () => {
    const harness = await setUp(
      { subscriptions: [{ topic: "bp/#", format: "value", qos: 1 }] },
      new AdapterHarness({ id: "plant", highWater: 10 }),
    );
    const total = 100;
    for (let i = 0; i < total; i++) publisher!.publish("bp/v", String(i), { qos: 1 });
    await harness.waitForPoints(10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The 10th point crossed the mark: its PUBACK (and reading the next message) waits for the queue.
    expect(harness.points.length).toBe(10);
    expect(harness.counters.get("acks_held_for_backpressure")).toBe(1);
    while (harness.points.length < total) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(harness.points.map((p) => p.value)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it("a queue blocked past the keepalive: the link times out, reconnects only after the drain, the session redelivers, 0 lost", async () => {
    const harness = await setUp(
      { client_id: "held", clean: false, keepalive: "1s", subscriptions: [{ topic: "ka/#", format: "value", qos: 1 }] },
      new AdapterHarness({ id: "plant", highWater: 5 }),
    );
    for (let i = 0; i < 20; i++) publisher!.publish("ka/v", String(i), { qos: 1 });
    await harness.waitForPoints(5);
    await waitFor(() => harness.states.at(-1)?.state === "down", "the keepalive timeout", 10_000);
    expect(harness.states.at(-1)?.detail).toBe("Keepalive timeout");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(harness.states.at(-1)?.state).toBe("down"); // no reconnect while the queue is still blocked
    while (new Set(harness.points.map((p) => p.value)).size < 20) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect([...new Set(harness.points.map((p) => p.value))].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it("QoS 2 under 3.1.1: PUBREC waits for the queue too, and each message arrives once", async () => {
    const harness = await setUp(
      { subscriptions: [{ topic: "q2/#", format: "value", qos: 2 }] },
      new AdapterHarness({ id: "plant", highWater: 5 }),
    );
    for (let i = 0; i < 20; i++) publisher!.publish("q2/v", String(i), { qos: 2 });
    await harness.waitForPoints(5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.points.length).toBe(5);
    while (harness.points.length < 20) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.points.map((p) => p.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a subscription the broker's ACL refuses: logged, counted, named in the status; the others work", async () => {
    broker = await startAedes({
      // A null subscription is aedes' way to answer SUBACK 0x80 for that filter.
      authorizeSubscribe: (_client, subscription, done) =>
        done(null, subscription.topic.startsWith("secret/") ? (null as never) : subscription),
    });
    const harness = await setUp({ subscriptions: [{ topic: "secret/#" }, { topic: "open/#", format: "value" }] });
    await waitFor(() => /refused/.test(harness.states.at(-1)?.detail ?? ""), "the refusal in the status");
    expect(harness.states.at(-1)?.detail).toMatch(/1 subscription\(s\); refused: secret\/#$/);
    expect(harness.counters.get("subscriptions_refused")).toBe(1);
    expect(harness.log.lines.some((l) => l.level === "error" && /ACL/.test(l.message) && l.fields?.topic === "secret/#")).toBe(true);
    await publisher!.publishAsync("open/x", "1", { qos: 1 });
    await harness.waitForPoints(1);
  });

  it("refused credentials: down with the broker's reason, retried slowly, the password never logged", async () => {
    broker = await startAedes({
      authenticate: (_client, username, password, done) => {
        const ok = username === "bridge" && password?.toString() === "right-secret";
        const error = Object.assign(new Error("bad credentials"), { returnCode: 4 });
        done(ok ? null : (error as never), ok);
      },
    });
    let attempts = 0;
    broker.broker.on("connackSent", () => attempts++);
    const harness = new AdapterHarness({ id: "plant" });
    adapter = harness.create(mqttAdapter, {
      url: broker.url,
      username: "bridge",
      password: "wrong-secret-123",
      reconnect_min: 50,
      reconnect_max: "10s",
      subscriptions: [{ topic: "#" }],
    });
    await adapter.start();
    await waitFor(() => harness.states.some((s) => s.state === "down"), "down");
    expect(harness.states.find((s) => s.state === "down")?.detail).toBe(
      "broker refused the connection: bad user name or password (return code 4)",
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(attempts).toBe(1); // no tight loop: the next try waits reconnect_max
    expect(JSON.stringify(harness.log.lines)).not.toContain("wrong-secret-123");
  });

  it("Sparkplug through the broker: DATA before BIRTH is held, NCMD Rebirth goes out, the BIRTH releases it", async () => {
    const harness = await setUp({ subscriptions: [{ format: "sparkplug" }], sparkplug: { rebirth: true } });
    const commands: string[] = [];
    publisher!.on("message", (topic, payload) => {
      const metric = decodeSparkplug(payload).metrics[0];
      commands.push(`${topic} ${metric.name}=${metric.booleanValue}`);
    });
    await publisher!.subscribeAsync("spBv1.0/+/NCMD/#", { qos: 1 });
    await publisher!.publishAsync(vector("benthos_NDATA_BEFORE_BIRTH").topic, payloadOf("benthos_NDATA_BEFORE_BIRTH"), { qos: 1 });
    await waitFor(() => commands.length === 1, "the rebirth request");
    expect(commands).toEqual(["spBv1.0/TestGroup/NCMD/TestNode Node Control/Rebirth=true"]);
    expect(harness.points).toEqual([]);
    await publisher!.publishAsync(vector("benthos_NBIRTH_V1").topic, payloadOf("benthos_NBIRTH_V1"), { qos: 1 });
    await harness.waitForPoints(5);
    expect(harness.points.filter((p) => p.metric === "TestGroup.TestNode.Temperature").map((p) => p.value)).toEqual([21.5, 25]);
  });

  it("Sparkplug primary host: STATE birth retained on connect, the will says offline when the link dies, a clean stop too", async () => {
    broker = await startAedes();
    const watcher = await testClient(broker.url);
    const states: string[] = [];
    watcher.on("message", (_topic, payload) => states.push(JSON.parse(payload.toString()).online ? "online" : "offline"));
    await watcher.subscribeAsync("spBv1.0/STATE/scada1", { qos: 1 });
    const harness = await setUp({ client_id: "host", subscriptions: [{ format: "sparkplug" }], sparkplug: { host_id: "scada1" } });
    await waitFor(() => states.length === 1, "the STATE birth");
    // The link dies without a DISCONNECT: the broker publishes the will.
    (broker.broker as unknown as { clients: Record<string, { close(): void }> }).clients.host.close();
    await waitFor(() => states.length >= 2, "the will");
    await waitFor(() => states.length >= 3, "the STATE birth after the reconnect");
    await adapter!.stop();
    adapter = undefined;
    await waitFor(() => states.filter((s) => s === "offline").length >= 2, "the STATE death at the stop");
    // Seeing its own retained death after the reconnect, the host may say online once more.
    expect(states.filter((state, i) => state !== states[i - 1])).toEqual(["online", "offline", "online", "offline"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(states.at(-1)).toBe("offline");
    expect(states.filter((s) => s === "offline")).toHaveLength(2); // the will, the stop; a clean stop fires no will
    expect(harness.points).toEqual([]);
    await watcher.endAsync();
  });

  it("QoS 0 does not wait for the queue: when_full decides", async () => {
    const harness = await setUp(
      { subscriptions: [{ topic: "q0/#", format: "value", qos: 0 }] },
      new AdapterHarness({ id: "plant", highWater: 5 }),
    );
    for (let i = 0; i < 20; i++) await publisher!.publishAsync("q0/v", String(i), { qos: 0 });
    await harness.waitForPoints(20);
    expect(harness.counters.get("acks_held_for_backpressure")).toBeUndefined();
  });

  it("mqtt_publish: allowed topics go out, others are refused with a clear error", async () => {
    await setUp({ subscriptions: [{ topic: "x" }], allow_publish: ["plant/+/cmd/#"] });
    const received: string[] = [];
    publisher!.on("message", (topic, payload) => received.push(`${topic} ${payload}`));
    await publisher!.subscribeAsync("plant/#", { qos: 1 });
    const result = await adapter!.command!("mqtt_publish", { topic: "plant/l1/cmd/start", payload: { speed: 3 }, qos: 1 });
    expect(result).toMatchObject({ published: true, topic: "plant/l1/cmd/start", qos: 1 });
    await waitFor(() => received.length === 1, "the published command");
    expect(received).toEqual(['plant/l1/cmd/start {"speed":3}']);
    await expect(adapter!.command!("mqtt_publish", { topic: "plant/l1/status", payload: "x" })).rejects.toThrow(
      'mqtt_publish to "plant/l1/status" is not allowed (allow_publish: plant/+/cmd/#)',
    );
    await expect(adapter!.command!("mqtt_publish", { topic: "plant/+/cmd/x" })).rejects.toThrow(/wildcard/);
  });
});
