/**
 * The Sparkplug host's state across messages, driven by the real vectors: aliases resolved
 * through the BIRTH, seq gaps and wrap-around, rebirth requests (rate limited) with DATA held
 * until the BIRTH, DEATH with bdSeq matching.
 */
import { describe, expect, it } from "vitest";
import { encodeSparkplug } from "../../../adapters/mqtt/sparkplug/codec.js";
import { SparkplugHost } from "../../../adapters/mqtt/sparkplug/host.js";
import { payloadOf, vector } from "./vectors.js";

function host(rebirth = false) {
  const counters = new Map<string, number>();
  let now = 0;
  const h = new SparkplugHost(
    { rebirth, rebirthIntervalMs: 30_000 },
    (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n),
    () => now,
  );
  const feed = (name: string) => h.handle(vector(name).topic, payloadOf(name));
  return { h, counters, feed, advance: (ms: number) => (now += ms) };
}

describe("Sparkplug host", () => {
  it("NBIRTH defines aliases; alias-only NDATA resolves through them", () => {
    const { feed, counters } = host();
    const birth = feed("benthos_NBIRTH_V1");
    expect(birth.points).toContainEqual({ metric: "TestGroup.TestNode.Temperature", value: 21.5, timestamp: 1750855643474 });
    expect(birth.points).toContainEqual({ metric: "TestGroup.TestNode.Node Control.Rebirth", value: 0, timestamp: 1750855643474 });
    expect(birth.points).toContainEqual({ metric: "TestGroup.TestNode.sparkplug_state", value: "online", timestamp: 1750855643474 });
    const data = feed("benthos_NDATA_V1");
    expect(data.points).toEqual([{ metric: "TestGroup.TestNode.Temperature", value: 22.5, timestamp: 1750855643474 }]);
    expect(counters.get("sparkplug_seq_gaps")).toBeUndefined();
  });

  it("counts a seq gap, and a wrap 255 → 0 is no gap", () => {
    const { h, feed, counters } = host();
    feed("benthos_NBIRTH_V1");
    feed("benthos_NDATA_V1"); // seq 1
    const gap = feed("benthos_NDATA_GAP"); // seq 5
    expect(gap.points).toEqual([{ metric: "TestGroup.TestNode.Temperature", value: 27, timestamp: 1750855643474 }]);
    expect(counters.get("sparkplug_seq_gaps")).toBe(1);
    expect(gap.rebirth).toBeUndefined(); // rebirth is off
    // Walk seq up to 255 with the same NDATA (re-stamped seq), then the real wrap-around vector (seq 0).
    const topic = vector("benthos_NDATA_WRAPAROUND").topic;

    for (let seq = 6; seq <= 255; seq++) h.handle(topic, encodeSparkplug({ seq, metrics: [{ alias: 100, doubleValue: seq }] }));
    const wrapped = feed("benthos_NDATA_WRAPAROUND");
    expect(wrapped.points[0]).toMatchObject({ metric: "TestGroup.TestNode.Temperature", value: 30 });
    expect(counters.get("sparkplug_seq_gaps")).toBe(1);
  });

  it("with rebirth: a gap asks for a rebirth at most once per 30 s per node", () => {
    const { feed, counters, advance } = host(true);
    feed("benthos_NBIRTH_V1");
    feed("benthos_NDATA_V1");
    expect(feed("benthos_NDATA_GAP").rebirth).toBe("spBv1.0/TestGroup/NCMD/TestNode");
    advance(10_000);
    expect(feed("benthos_NDATA_BEFORE_BIRTH").rebirth).toBeUndefined(); // seq 1 after 5: a gap, but too soon
    advance(20_001);
    expect(feed("benthos_NDATA_GAP").rebirth).toBe("spBv1.0/TestGroup/NCMD/TestNode");
    expect(counters.get("sparkplug_seq_gaps")).toBe(3);
    expect(counters.get("sparkplug_rebirth_requests")).toBe(2);
  });

  it("with rebirth: DATA before any BIRTH is held, then delivered when the BIRTH arrives", () => {
    const { feed, counters } = host(true);
    const early = feed("benthos_NDATA_BEFORE_BIRTH");
    expect(early.points).toEqual([]);
    expect(early.rebirth).toBe("spBv1.0/TestGroup/NCMD/TestNode");
    expect(counters.get("sparkplug_held_messages")).toBe(1);
    const birth = feed("benthos_NBIRTH_V1");
    const temperatures = birth.points.filter((p) => p.metric === "TestGroup.TestNode.Temperature").map((p) => p.value);
    expect(temperatures).toEqual([21.5, 25]); // the BIRTH's own value, then the held DATA's
  });

  it("without rebirth: DATA for unknown aliases is counted and dropped", () => {
    const { feed, counters } = host(false);
    expect(feed("benthos_NDATA_BEFORE_BIRTH").points).toEqual([]);
    expect(counters.get("sparkplug_unknown_aliases")).toBe(1);
  });

  it("NDEATH with the BIRTH's bdSeq marks the node offline; a stale one does not", () => {
    const { h, feed, counters } = host();
    feed("benthos_NBIRTH_V1"); // bdSeq 88
    expect(feed("benthos_NDEATH_V1").points).toEqual([]); // bdSeq 0: an older session's will
    expect(counters.get("sparkplug_stale_deaths")).toBe(1);
    expect(h.offline()).toEqual([]);

    const spec = host();
    spec.feed("spec_NBIRTH_raspberry_pi"); // bdSeq 0
    spec.feed("spec_DBIRTH_pibrella");
    const death = spec.feed("spec_NDEATH_bdseq");
    expect(death.points).toEqual([
      { metric: "Sparkplug B Devices.Raspberry Pi.sparkplug_state", value: "offline", timestamp: expect.any(Number) },
    ]);
    expect(spec.h.offline()).toEqual(["Sparkplug B Devices/Raspberry Pi"]);
  });

  it("DBIRTH / DDATA / DDEATH name device metrics group.node.device.metric", () => {
    const { h, feed } = host();
    feed("spec_NBIRTH_raspberry_pi");
    const birth = feed("spec_DBIRTH_pibrella");
    expect(birth.points.map((p) => p.metric)).toContain("Sparkplug B Devices.Raspberry Pi.Pibrella.Inputs.A");
    const data = feed("spec_DDATA_inputs");
    expect(data.points.map((p) => [p.metric, p.value])).toEqual([
      ["Sparkplug B Devices.Raspberry Pi.Pibrella.Inputs.A", 1],
      ["Sparkplug B Devices.Raspberry Pi.Pibrella.Inputs.C", 1],
    ]);
    const death = feed("spec_DDEATH");
    expect(death.points).toEqual([
      { metric: "Sparkplug B Devices.Raspberry Pi.Pibrella.sparkplug_state", value: "offline", timestamp: expect.any(Number) },
    ]);
    expect(h.offline()).toEqual(["Sparkplug B Devices/Raspberry Pi/Pibrella"]);
  });

  it("all datatypes in one DBIRTH become points; STATE and commands are not data", () => {
    const { feed, counters } = host();
    const points = feed("sparkplugnet_all_datatypes_DBIRTH").points;
    expect(points.find((p) => p.metric === "group1.edge1.device1.Test13")).toEqual({
      metric: "group1.edge1.device1.Test13",
      value: 1546300800000,
      timestamp: 1546300800000,
    });
    expect(points.length).toBe(1 + 38); // the state event and the 38 metrics
    expect(counters.get("sparkplug_binary_metrics")).toBe(2);
    expect(feed("spec_STATE_online").points).toEqual([]);
    expect(feed("spec_NCMD_rebirth").points).toEqual([]);
  });

  it("is_null values are skipped and counted", () => {
    const { h, counters } = host();

    const result = h.handle(
      "spBv1.0/g/NDATA/n",
      encodeSparkplug({
        metrics: [
          { name: "a", datatype: 10, isNull: true },
          { name: "b", datatype: 10, doubleValue: 1 },
        ],
      }),
    );
    expect(result.points).toEqual([{ metric: "g.n.b", value: 1 }]);
    expect(counters.get("sparkplug_null_values")).toBe(1);
  });
});
