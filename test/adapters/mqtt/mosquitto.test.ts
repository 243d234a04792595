/**
 * The adapter against Debian's mosquitto, started per test on a free loopback port: MQTT 5 with
 * a password file, TLS with a CA the test makes (and a wrong CA), a persistent session across a
 * bridge restart, a broker restart with resubscription, and backpressure with nothing lost.
 * Skipped off CI without mosquitto (saying so), required in CI.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import mqttAdapter from "../../../adapters/mqtt/index.js";
import { mqttOptions } from "../../../adapters/mqtt/options.js";
import { MessageRouter } from "../../../adapters/mqtt/router.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { hasMosquitto, type Mosquitto, NEEDS_MOSQUITTO, startMosquitto, testClient, waitFor } from "./brokers.js";
import { hasOpenssl, makeCertificates, NEEDS_OPENSSL } from "./certificates.js";
import { influxVectors, jsonVectors, payloadOf, sparkplugVectors } from "./vectors.js";

let broker: Mosquitto | undefined;
const adapters: Adapter[] = [];
let publisher: MqttClient | undefined;
afterEach(async () => {
  for (const adapter of adapters.splice(0)) await adapter.stop();
  await publisher?.endAsync(true);
  await broker?.stop();
  publisher = broker = undefined;
});

async function run(options: Record<string, unknown>, harness = new AdapterHarness({ id: "plant" })) {
  const adapter = harness.create(mqttAdapter, { url: broker!.url, reconnect_min: 100, reconnect_max: "2s", ...options });
  adapters.push(adapter);
  await adapter.start();
  return { harness, adapter };
}

const up = (harness: AdapterHarness) => waitFor(() => harness.states.at(-1)?.state === "up", "the adapter up");
const down = (harness: AdapterHarness) => waitFor(() => harness.states.some((s) => s.state === "down"), "the adapter down");

describe.skipIf(!hasMosquitto)(`mqtt adapter on mosquitto (${hasMosquitto ? "MQTT 5" : NEEDS_MOSQUITTO})`, () => {
  it("MQTT 5 with a password file; a wrong password is down with the reason code named", async () => {
    broker = await startMosquitto((dir) => {
      execFileSync("mosquitto_passwd", ["-c", "-b", join(dir, "passwd"), "bridge", "s3cret-pass"]);
      return [`password_file ${join(dir, "passwd")}`];
    });
    const good = await run({
      protocol_version: 5,
      username: "bridge",
      password: "s3cret-pass",
      subscriptions: [{ topic: "v5/#", format: "value" }],
    });
    await up(good.harness);
    publisher = await testClient(broker.url, { protocolVersion: 5, username: "bridge", password: "s3cret-pass" });
    await publisher.publishAsync("v5/t", "7", { qos: 1 });
    await good.harness.waitForPoints(1);
    expect(good.harness.points).toEqual([{ metric: "v5.t", value: 7 }]);

    const bad = await run({ protocol_version: 5, username: "bridge", password: "not-the-pass", subscriptions: [{ topic: "#" }] });
    await down(bad.harness);
    expect(bad.harness.states.find((s) => s.state === "down")?.detail).toBe(
      "broker refused the connection: Not authorized (reason code 0x87)",
    );
    expect(JSON.stringify(bad.harness.log.lines)).not.toContain("not-the-pass");
  });

  it.skipIf(!hasOpenssl)(
    `TLS with the test's CA; a broker certificate from another CA is down with the TLS reason${hasOpenssl ? "" : ` (${NEEDS_OPENSSL})`}`,
    async () => {
      let certs: ReturnType<typeof makeCertificates> | undefined;
      broker = await startMosquitto((dir) => {
        certs = makeCertificates(dir);
        return [`cafile ${certs.ca}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`];
      }, "mqtts");
      const good = new AdapterHarness({ id: "plant", configDir: broker.dir });
      await run({ tls: { ca: "ca.pem" }, subscriptions: [{ topic: "tls/#", format: "value" }] }, good);
      await up(good);
      publisher = await testClient(broker.url, { ca: readFileSync(certs!.ca) });
      await publisher.publishAsync("tls/x", "1", { qos: 1 });
      await good.waitForPoints(1);

      const bad = new AdapterHarness({ id: "plant", configDir: broker.dir });
      await run({ client_id: "wrong-ca", tls: { ca: "wrong-ca.pem" }, subscriptions: [{ topic: "#" }] }, bad);
      await down(bad);
      expect(bad.states.find((s) => s.state === "down")?.detail).toMatch(/^TLS: .*certificate.*\(/i);
    },
  );

  it("persistent session: QoS 1 messages published while the bridge was stopped all arrive after its restart", async () => {
    broker = await startMosquitto();
    const options = {
      protocol_version: 5,
      client_id: "edge-7",
      clean: false,
      session_expiry: "1h",
      subscriptions: [{ topic: "ps/#", format: "value", qos: 1 }],
    };
    const first = await run(options);
    await up(first.harness);
    await waitFor(() => /1 subscription/.test(first.harness.states.at(-1)?.detail ?? ""), "subscribed");
    await first.adapter.stop();
    adapters.splice(adapters.indexOf(first.adapter), 1);

    publisher = await testClient(broker.url);
    const total = 500;
    for (let i = 0; i < total; i++) await publisher.publishAsync("ps/n", String(i), { qos: 1 });

    const second = await run(options);
    await second.harness.waitForPoints(total);
    expect(second.harness.points.map((p) => p.value)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it("broker restart without persistence: the adapter reconnects and subscribes again", async () => {
    broker = await startMosquitto();
    const { harness } = await run({ protocol_version: 5, subscriptions: [{ topic: "rs/#", format: "value" }] });
    await up(harness);
    await broker.restart();
    const upAgain = () => {
      const lastDown = harness.states.findLastIndex((s) => s.state === "down");
      return lastDown >= 0 && harness.states.slice(lastDown).some((s) => s.state === "up");
    };
    await waitFor(upAgain, "up again after the restart", 15_000);
    publisher = await testClient(broker.url);
    await publisher.publishAsync("rs/a", "42", { qos: 1 });
    await harness.waitForPoints(1);
    expect(harness.points).toEqual([{ metric: "rs.a", value: 42 }]);
    expect(harness.states.some((s) => s.state === "down" && s.detail === "connection closed")).toBe(true);
  });

  it("backpressure: the queue blocks, the broker holds the QoS 1 messages, 0 lost", async () => {
    broker = await startMosquitto(() => ["max_queued_messages 100000"]);
    const harness = new AdapterHarness({ id: "plant", highWater: 50 });
    await run({ protocol_version: 5, clean: false, client_id: "bp", subscriptions: [{ topic: "bp/#", format: "value", qos: 1 }] }, harness);
    await up(harness);
    await waitFor(() => /1 subscription/.test(harness.states.at(-1)?.detail ?? ""), "subscribed");
    publisher = await testClient(broker.url);
    const total = 2000;
    await Promise.all(Array.from({ length: total }, (_, i) => publisher!.publishAsync("bp/n", String(i), { qos: 1 })));
    await harness.waitForPoints(50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.points.length).toBe(50); // blocked: nothing more read until the queue drains
    while (harness.points.length < total) {
      harness.release();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const values = harness.points.map((p) => p.value as number);
    expect(new Set(values).size).toBe(total);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});

describe.skipIf(!hasMosquitto)(`every shared/data/mqtt vector through mosquitto (${hasMosquitto ? "MQTT 3.1.1" : NEEDS_MOSQUITTO})`, () => {
  it("Tasmota/OpenMQTTGateway JSON, Influx lines (the invalid ones counted), Sparkplug B: as the pure decoders say, in order", async () => {
    broker = await startMosquitto();
    const subscriptions = [
      { topic: "+/tele/+", metric: "{1}.{path}", tags: { device: "{1}" } },
      { topic: "+/stat/+", metric: "{1}.{path}" },
      { topic: "home/#" },
      { topic: "telegraf/#", format: "influx" },
      { format: "sparkplug" },
    ];
    const { harness } = await run({ subscriptions });
    await waitFor(() => /5 subscription/.test(harness.states.at(-1)?.detail ?? ""), "subscribed");
    publisher = await testClient(broker.url);

    const messages: [string, Buffer][] = [
      ...jsonVectors.map((v, i): [string, Buffer] => [v.topic ?? `home/OpenMQTTGateway/BTtoMQTT/untitled${i}`, Buffer.from(v.payload)]),
      ...influxVectors.map((v, i): [string, Buffer] => [`telegraf/line${i}`, Buffer.from(v.line)]),
      ...sparkplugVectors.map((v): [string, Buffer] => [v.topic, payloadOf(v.name)]),
      // Malformed: not JSON, and not a Sparkplug payload.
      ["tasmota_49A3BC/tele/SENSOR", Buffer.from('{"DHT11":{"Temperature":')],
      ["spBv1.0/TestGroup/NDATA/TestNode", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])],
    ];
    // What the decoders make of them, without a broker in between.
    const offline = new AdapterHarness({ id: "plant" }).context;
    const reference = new MessageRouter(mqttOptions.parse({ url: broker.url, subscriptions }), offline);
    const expected = messages.flatMap(([topic, payload]) => reference.route(topic, payload).points);

    for (const [topic, payload] of messages) await publisher.publishAsync(topic, payload, { qos: 1 });
    await harness.waitForPoints(expected.length);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.points).toEqual(expected);

    const invalidInflux = influxVectors.filter((v) => !v.valid).length;
    expect(harness.counters.get("malformed_payloads:telegraf/#")).toBe(invalidInflux);
    expect(harness.counters.get("malformed_payloads:+/tele/+")).toBe(1);
    expect(harness.counters.get("malformed_payloads:spBv1.0/#")).toBe(1);
    expect(harness.counters.get("malformed_payloads")).toBe(invalidInflux + 2);
    expect(harness.points).toContainEqual({ metric: "tasmota_49A3BC.DHT11.Temperature", value: 20.5, tags: { device: "tasmota_49A3BC" } });
    expect(harness.points).toContainEqual({
      metric: "procstat.memory_rss",
      value: 5103616,
      timestamp: 1517620624000,
      tags: { exe: "bash", process_name: "bash" },
    });
    expect(harness.points).toContainEqual({ metric: "TestGroup.TestNode.Temperature", value: 22.5, timestamp: 1750855643474 });
    expect(harness.points).toContainEqual({ metric: "group1.edge1.device1.Test10", value: 10, timestamp: 1546300800000 });
  });
});
