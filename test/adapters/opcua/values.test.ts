/**
 * Values through the wire from a real node-opcua server (child process): every built-in type, an
 * enum, arrays, structures (a standard one and the open62541 nodeset's custom Point, decoded
 * through the server's data type definitions), Bad and Uncertain status codes, refused nodes,
 * browse paths, browse discovery, deadband and poll mode. One server for the whole file.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { clientPkiDir, last, logged, serverForFile, waitFor } from "./helpers.js";
import { NODESET_NAMESPACE, plant } from "./served.js";

const pki = clientPkiDir();
const { server, adapter } = serverForFile(() => ({ pki_dir: pki }));

const TYPES = [
  "Boolean",
  "SByte",
  "Byte",
  "Int16",
  "UInt16",
  "Int32",
  "UInt32",
  "Int64",
  "UInt64",
  "Float",
  "Double",
  "String",
  "DateTime",
  "Guid",
  "ByteString",
  "XmlElement",
  "NodeId",
  "StatusCode",
  "QualifiedName",
  "LocalizedText",
];

describe("opcua values from a node-opcua server", () => {
  it("decodes every built-in type, an enum, arrays and structures", async () => {
    const nodes = [
      ...TYPES.map((t) => ({ node_id: plant(t), name: t.toLowerCase() })),
      { node_id: plant("PumpState"), name: "pump" },
      { node_id: plant("DoubleArray"), name: "arr" },
      { node_id: plant("BigArray"), name: "big" },
      { node_id: plant("BuildInfo"), name: "build" },
      { node_id: `nsu=${NODESET_NAMESPACE};i=10002`, name: "point" },
      { node_id: `nsu=${NODESET_NAMESPACE};i=5101`, name: "nodeset_double" },
      { node_id: `nsu=${NODESET_NAMESPACE};i=5102`, name: "nodeset_uint32" },
    ];
    const { harness } = await adapter({ nodes, timestamps: "source" });
    await waitFor(() => last(harness, "nodeset_uint32.2"), "the last value");
    await waitFor(() => last(harness, "build"), "the structure");
    const value = (metric: string) => last(harness, metric)?.value;
    expect(value("boolean")).toBe(1);
    expect(value("sbyte")).toBe(-5);
    expect(value("byte")).toBe(200);
    expect(value("int16")).toBe(-300);
    expect(value("uint16")).toBe(60000);
    expect(value("int32")).toBe(-70000);
    expect(value("uint32")).toBe(4_000_000_000);
    expect(value("int64")).toBe(-2);
    expect(value("uint64")).toBe(2 ** 32 + 2);
    expect(value("float")).toBe(1.5);
    expect(value("double")).toBe(3.25);
    expect(value("string")).toBe("hello");
    expect(value("datetime")).toBe(Date.parse("2024-01-02T03:04:05.678Z"));
    expect(String(value("guid")).toUpperCase()).toBe("72962B91-FA75-4AE6-8D28-B404DC7DAF63");
    expect(value("bytestring")).toBe("010203");
    expect(value("xmlelement")).toBe("<a>1</a>");
    expect(value("nodeid")).toBe("ns=1;i=42");
    expect(value("statuscode")).toBe("BadTimeout");
    expect(value("qualifiedname")).toBe("1:Q");
    expect(value("localizedtext")).toBe("Running");
    expect(value("pump")).toBe(1);
    expect(value("pump.label")).toBe("On");
    expect([value("arr.0"), value("arr.1"), value("arr.2")]).toEqual([1.5, 2.5, 3.5]);
    expect(value("big")).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(value("build")).toMatchObject({ productName: "press", softwareVersion: "1.2.3", buildNumber: "7" });
    expect(value("point")).toEqual({ x: 1, y: 2 });
    expect(value("nodeset_double")).toBe(42);
    expect([value("nodeset_uint32.0"), value("nodeset_uint32.1"), value("nodeset_uint32.2")]).toEqual([1, 2, 3]);
    // Source timestamps pass through: the server stamped these when it set them.
    expect(typeof last(harness, "double")?.timestamp).toBe("number");
  }, 60_000);

  it("counts Bad values per node, tags Uncertain ones, and reports a refused node once while the others work", async () => {
    const { harness } = await adapter({
      nodes: [
        { node_id: plant("Broken"), name: "broken" },
        { node_id: plant("Unsure"), name: "unsure" },
        { node_id: plant("NoSuchNode"), name: "missing" },
        { node_id: "nsu=urn:not:there;s=X", name: "nowhere" },
        { node_id: plant("Secret"), name: "secret" },
        { node_id: plant("Counter"), name: "counter" },
      ],
    });
    await waitFor(() => harness.points.filter((p) => p.metric === "counter").length >= 3, "counter values");
    expect(last(harness, "unsure")).toMatchObject({ value: 7.5, tags: { quality: "uncertain" } });
    expect(last(harness, "broken")).toBeUndefined();
    expect(harness.counters.get("bad_status.broken")).toBeGreaterThanOrEqual(1);
    // A node nobody may read: its value comes back with BadNotReadable, reported once.
    const unreadable = harness.log.lines.filter((l) => l.message === "bad status: no value" && l.fields?.name === "secret");
    expect(unreadable.map((l) => l.fields?.status)).toEqual(["BadNotReadable"]);
    const refused = harness.log.lines.filter((l) => l.message === "node refused");
    expect(refused.map((l) => l.fields?.status)).toEqual([
      expect.stringMatching(/^BadNodeIdUnknown/),
      expect.stringMatching(/^BadNodeIdUnknown/),
    ]);
    expect(harness.states.at(-1)).toMatchObject({ state: "up", detail: expect.stringContaining("2 refused") });
  }, 60_000);

  it("resolves browse paths and discovers variables under a root with include/exclude globs", async () => {
    const { harness, adapter: a } = await adapter({
      nodes: [{ browse_path: "/Objects/Line1/Motor/Current", name: "motor_current" }],
      browse: [{ root: plant("Line1"), depth: 3, include: ["*"], exclude: ["*.Diagnostics.*"] }],
    });
    await waitFor(
      () => last(harness, "Motor.Speed") && last(harness, "Temperature") && last(harness, "motor_current"),
      "discovered values",
    );
    expect(last(harness, "motor_current")?.value).toBe(12.5);
    expect(last(harness, "Motor.Current")?.value).toBe(12.5);
    expect(last(harness, "Motor.Diagnostics.ErrorCount")).toBeUndefined();
    expect(a.describe().metrics?.sort()).toEqual(["Motor.Current", "Motor.Speed", "Temperature", "motor_current"]);
  }, 60_000);

  it("applies absolute and percent deadbands on the server: a ramp of +0.25 per tick reports only bigger steps", async () => {
    const { harness } = await adapter({
      sampling_interval: "50ms",
      publishing_interval: "100ms",
      nodes: [
        { node_id: plant("Ramp"), name: "all" },
        { node_id: plant("Ramp"), name: "banded", deadband: { type: "absolute", value: 1 } },
        // 1 % of the AnalogItem's EURange (0–200) is 2.
        { node_id: plant("Level"), name: "level", deadband: { type: "percent", value: 1 } },
      ],
    });
    await waitFor(() => harness.points.filter((p) => p.metric === "level").length >= 4, "percent deadband values", 30_000);
    const levels = harness.points.filter((p) => p.metric === "level").map((p) => p.value as number);
    for (let i = 1; i < levels.length; i++) expect(Math.abs(levels[i] - levels[i - 1])).toBeGreaterThan(2);
    const all = harness.points.filter((p) => p.metric === "all").map((p) => p.value as number);
    const banded = harness.points.filter((p) => p.metric === "banded").map((p) => p.value as number);
    for (let i = 1; i < banded.length; i++) expect(banded[i] - banded[i - 1]).toBeGreaterThan(1);
    expect(all.length).toBeGreaterThan(banded.length * 3);
  }, 60_000);

  it("adds nodes and changes intervals at run time (configure), and writes only allowed nodes (opcua_write)", async () => {
    const { harness, adapter: a } = await adapter({
      nodes: [{ node_id: plant("Setpoint"), name: "setpoint" }],
      allow_write: [plant("Setpoint")],
    });
    await waitFor(() => last(harness, "setpoint"), "the setpoint");
    const applied = await a.configure({
      sampling_interval: "200ms",
      nodes: [
        { node_id: plant("Setpoint"), name: "setpoint" },
        { node_id: plant("Double"), name: "double" },
      ],
    });
    expect(applied.sampling_interval).toBe(200);
    await waitFor(() => logged(harness, "subscriptions restored: 2 items") && last(harness, "double"), "the added node");
    await expect(a.configure({ endpoint: "opc.tcp://elsewhere:4840" })).rejects.toThrow(/cannot be changed at run time/);

    expect(await a.command("opcua_write", { node: plant("Setpoint"), value: 42.5 })).toEqual({ node: plant("Setpoint"), status: "Good" });
    await waitFor(() => last(harness, "setpoint")?.value === 42.5, "the written value coming back");
    await expect(a.command("opcua_write", { node: plant("Double"), value: 1 })).rejects.toThrow(/not allowed/);
  }, 60_000);

  it("forwards server events (i=2253) as Plexus events: message, severity, source, event type", async () => {
    const { harness } = await adapter({
      nodes: [{ node_id: plant("Double"), name: "double" }],
      events: [{ node: "i=2253", name: "alarms" }],
    });
    await waitFor(() => harness.states.some((s) => s.state === "up" && s.detail === "2 item(s)"), "subscribed to values and events");
    server.raiseEvent(700, "Press 1 overtemperature");
    const event = await waitFor(() => last(harness, "alarms"), "the event");
    expect(event.value).toEqual({ message: "Press 1 overtemperature", severity: 700, source: "Press1", event_type: "ns=0;i=2130" });
    expect(typeof event.timestamp).toBe("number");
  }, 60_000);

  it("keeps its client certificate under the state dir when no pki_dir is given", async () => {
    const harness = new AdapterHarness({ id: "press" });
    harness.context.stateDir = dirname(clientPkiDir());
    await adapter({ pki_dir: undefined, nodes: [{ node_id: plant("Double"), name: "double" }] }, harness);
    await waitFor(() => last(harness, "double"), "a value");
    expect(existsSync(join(harness.context.stateDir, "opcua", "press", "pki", "own", "certs", "client_certificate.pem"))).toBe(true);
  }, 60_000);

  it("polls with Read in poll mode, sending unchanged events once", async () => {
    const { harness } = await adapter({
      mode: "poll",
      sampling_interval: "100ms",
      nodes: [
        { node_id: plant("Counter"), name: "counter" },
        { node_id: plant("String"), name: "text" },
      ],
    });
    await waitFor(() => harness.batches.length >= 5, "5 polls");
    const counters = harness.points.filter((p) => p.metric === "counter").map((p) => p.value as number);
    expect(counters.length).toBeGreaterThanOrEqual(5);
    expect(harness.points.filter((p) => p.metric === "text")).toHaveLength(1);
    expect(logged(harness, "polling") || harness.states.some((s) => s.detail?.startsWith("polling"))).toBe(true);
  }, 60_000);
});
