/**
 * Payload → points for json, value, influx and raw subscriptions, on the real Tasmota and
 * OpenMQTTGateway payloads of test/fixtures/mqtt (see SOURCES.md), with topic templates.
 */
import { describe, expect, it } from "vitest";
import { createMapper, MalformedPayload, salvagedPoints } from "../../../adapters/mqtt/mapping.js";
import { subscriptionSchema } from "../../../adapters/mqtt/options.js";
import { jsonVectors } from "./vectors.js";

function mapper(options: Record<string, unknown>) {
  const counters = new Map<string, number>();
  const map = createMapper(subscriptionSchema.parse(options), (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n));
  return {
    map: (topic: string, payload: string | Buffer) => map(topic, typeof payload === "string" ? Buffer.from(payload) : payload),
    counters,
  };
}

describe("json", () => {
  it("Tasmota SENSOR with the issue's topic template: {1}.{path}", () => {
    const { map } = mapper({ topic: "+/tele/SENSOR", metric: "{1}.{path}", tags: { device: "{1}" } });
    const v = jsonVectors.find((j) => j.payload.includes("DHT11") && j.topic?.endsWith("SENSOR"))!;
    expect(map(v.topic!, v.payload)).toEqual([
      { metric: "tasmota_49A3BC.DHT11.Temperature", value: 20.5, tags: { device: "tasmota_49A3BC" } },
    ]);
  });

  it("every Tasmota and OpenMQTTGateway payload maps, each leaf once, with the default template", () => {
    const { map } = mapper({ topic: "#" });
    for (const v of jsonVectors) {
      const topic = v.topic ?? "home/OpenMQTTGateway/BTtoMQTT/unknown";
      const points = map(topic, v.payload);
      expect(points.length, v.payload).toBeGreaterThan(0);
      for (const p of points) expect(p.metric.startsWith(`${topic.replaceAll("/", ".")}.`)).toBe(true);
      expect(new Set(points.map((p) => p.metric)).size).toBe(points.length);
    }
  });

  it("numbers as strings: events by default, metrics with numeric_strings; arrays indexed", () => {
    const tx23 = jsonVectors.find((j) => j.payload.includes("TX23"))!;
    expect(mapper({ topic: "#", metric: "{path}" }).map(tx23.topic!, tx23.payload)).toEqual([
      { metric: "TX23.Speed.Act", value: "12.3" },
      { metric: "TX23.Dir.Card", value: "WSW" },
    ]);
    expect(mapper({ topic: "#", metric: "{path}", numeric_strings: true }).map(tx23.topic!, tx23.payload)[0]).toEqual({
      metric: "TX23.Speed.Act",
      value: 12.3,
    });
    const tariff = jsonVectors.find((j) => j.payload.includes("TotalTariff"))!;
    expect(mapper({ topic: "#", metric: "{path}" }).map(tariff.topic!, tariff.payload)).toEqual([
      { metric: "ENERGY.TotalTariff.0", value: 1.2 },
      { metric: "ENERGY.TotalTariff.1", value: 3.4 },
    ]);
  });

  it("fields globs and a timestamp field (iso, no zone → UTC)", () => {
    const energy = jsonVectors.find((j) => j.payload.includes('"Total":1.2'))!;
    const { map } = mapper({
      topic: "#",
      metric: "{path}",
      fields: ["*.Total"],
      timestamp: { field: "ENERGY.TotalStartTime", format: "iso" },
    });
    expect(map(energy.topic!, energy.payload)).toEqual([
      { metric: "ENERGY.Total", value: 1.2, timestamp: Date.UTC(2018, 10, 23, 15, 33, 47) },
    ]);
  });

  it("a bad timestamp is counted and the points keep arrival time", () => {
    const { map, counters } = mapper({ topic: "#", metric: "{path}", timestamp: { field: "ts", format: "unix_ms" } });
    expect(map("a", '{"ts":"soon","v":1}')).toEqual([{ metric: "v", value: 1 }]);
    expect(counters.get("bad_timestamps")).toBe(1);
  });

  it("booleans as metrics or events", () => {
    expect(mapper({ topic: "#", metric: "{path}" }).map("a", '{"on":true}')).toEqual([{ metric: "on", value: 1 }]);
    expect(mapper({ topic: "#", metric: "{path}", booleans: "event" }).map("a", '{"on":false}')).toEqual([{ metric: "on", value: false }]);
  });

  it("malformed: not JSON, not UTF-8, deeper than 16 levels, more than 10,000 leaves", () => {
    const { map } = mapper({ topic: "#" });
    expect(() => map("a", "{not json")).toThrow(MalformedPayload);
    expect(() => map("a", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow("not UTF-8");
    expect(() => map("a", `${"[".repeat(17)}1${"]".repeat(17)}`)).toThrow(/deeper than 16/);
    expect(() => map("a", JSON.stringify(Array.from({ length: 10_001 }, (_, i) => i)))).toThrow(/10000 leaves/);
  });
});

describe("value, raw, influx", () => {
  it("value: numbers, booleans, text; an empty payload is counted, not malformed", () => {
    const { map, counters } = mapper({ topic: "plant/+/temp", format: "value", tags: { line: "{2}" } });
    expect(map("plant/l1/temp", " 21.5\n")).toEqual([{ metric: "plant.l1.temp", value: 21.5, tags: { line: "l1" } }]);
    expect(map("plant/l1/temp", "TRUE")[0].value).toBe(1);
    expect(map("plant/l1/temp", "overheat")[0].value).toBe("overheat");
    expect(map("plant/l1/temp", "")).toEqual([]);
    expect(counters.get("empty_payloads")).toBe(1);
  });

  it("raw: base64 or hex events", () => {
    expect(mapper({ topic: "#", format: "raw" }).map("a/b", Buffer.from([1, 2, 255]))).toEqual([{ metric: "a.b", value: "AQL/" }]);
    expect(mapper({ topic: "#", format: "raw", encoding: "hex", metric: "bin.{2}" }).map("a/b", Buffer.from([1, 2, 255]))).toEqual([
      { metric: "bin.b", value: "0102ff" },
    ]);
  });

  it("influx: measurement.field, line tags plus the subscription's, precision", () => {
    const { map } = mapper({ topic: "telegraf/#", format: "influx", precision: "ms", tags: { via: "{2}" } });
    expect(map("telegraf/host1", 'cpu,cpu=cpu0 usage=42.5,up=true,state="ok",n=3i 1700000000000')).toEqual([
      { metric: "cpu.usage", value: 42.5, timestamp: 1700000000000, tags: { cpu: "cpu0", via: "host1" } },
      { metric: "cpu.up", value: 1, timestamp: 1700000000000, tags: { cpu: "cpu0", via: "host1" } },
      { metric: "cpu.state", value: "ok", timestamp: 1700000000000, tags: { cpu: "cpu0", via: "host1" } },
      { metric: "cpu.n", value: 3, timestamp: 1700000000000, tags: { cpu: "cpu0", via: "host1" } },
    ]);
    const ns = mapper({ topic: "#", format: "influx" }).map("t", "m v=1 1517620624000000000");
    expect(ns[0].timestamp).toBe(1517620624000);
  });

  it("influx: a bad line is malformed, and the good lines of the payload are kept", () => {
    const { map, counters } = mapper({ topic: "#", format: "influx" });
    try {
      map("t", "cpu value=42\ncpu value=invalid\ncpu value=43");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe("line 2:11: field value has unrecognized type");
      expect(salvagedPoints(error as MalformedPayload).map((p) => p.value)).toEqual([42, 43]);
    }
    expect(counters.get("influx_bad_lines")).toBe(1);
    const big = mapper({ topic: "#", format: "influx" });
    expect(big.map("t", "cpu value=9223372036854775807i")[0].value).toBe("9223372036854775807");
    expect(big.counters.get("integers_beyond_2^53")).toBe(1);
  });
});

describe("options", () => {
  it("refuses unknown placeholders, bad filters, json-only keys elsewhere", () => {
    expect(subscriptionSchema.safeParse({ topic: "a/#/b" }).success).toBe(false);
    expect(subscriptionSchema.safeParse({ topic: "a/+", metric: "{name}" }).success).toBe(false);
    expect(subscriptionSchema.safeParse({ topic: "a", format: "value", fields: ["x"] }).success).toBe(false);
    expect(subscriptionSchema.parse({ format: "sparkplug" }).topic).toBe("spBv1.0/#");
  });
});
