/**
 * SunSpec discovery against the in-process server populated from pysunspec2's device data
 * (test/fixtures/modbus/sunspec/device_1547.json, inverter_123.json, Apache-2.0), laid out with the
 * SunSpec model JSON (model_1.json, model_701.json) by a small encoder in this test, not the adapter's.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import modbus, { type ModbusAdapter } from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { ModbusTestServer, type UnitImage } from "./modbus-test-server.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/modbus/sunspec/${name}`, import.meta.url), "utf8"));

interface PointDef {
  name: string;
  type: string;
  size: number;
  sf?: string;
  symbols?: { name: string; value: number }[];
}
const DEFS: Record<number, PointDef[]> = { 1: fixture("model_1.json").group.points, 701: fixture("model_701.json").group.points };
type ModelData = Record<string, unknown> & { ID: number; L?: number | null };

/** SunSpec "not implemented" encodings, per type. */
function encodePoint(def: PointDef, value: unknown): number[] {
  const b = Buffer.alloc(def.size * 2);
  const missing = value === null || value === undefined;
  switch (def.type) {
    case "int16":
    case "sunssf":
      b.writeInt16BE(missing ? -0x8000 : (value as number));
      break;
    case "uint16":
    case "enum16":
    case "pad":
      b.writeUInt16BE(missing ? (def.type === "pad" ? 0x8000 : 0xffff) : (value as number));
      break;
    case "uint32":
    case "bitfield32":
      b.writeUInt32BE(missing ? 0xffffffff : (value as number));
      break;
    case "uint64":
      b.writeBigUInt64BE(missing ? 0xffffffffffffffffn : BigInt(value as number));
      break;
    case "string":
      if (!missing) b.write(value as string, "utf8");
      break;
    default:
      throw new Error(`test encoder lacks ${def.type}`);
  }
  return Array.from({ length: def.size }, (_, i) => b.readUInt16BE(i * 2));
}

/** Writes SunS + the models + the end marker at `base`; models without a definition are zero-filled with their L. */
function layOut(image: UnitImage, base: number, models: ModelData[]) {
  image.set("holding", base, [0x5375, 0x6e53]);
  let address = base + 2;
  for (const model of models) {
    const def = DEFS[model.ID];
    if (!def) {
      image.set("holding", address, [model.ID, model.L!]);
      address += 2 + model.L!;
      continue;
    }
    const length = def.reduce((sum, p) => sum + p.size, 0) - 2;
    image.set("holding", address, [model.ID, length]);
    let offset = address + 2;
    for (const point of def.slice(2)) {
      image.set("holding", offset, encodePoint(point, model[point.name]));
      offset += point.size;
    }
    address = offset;
  }
  image.set("holding", address, [0xffff, 0]);
}

let server: ModbusTestServer | undefined;
let stopAdapter: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopAdapter?.();
  await server?.close();
});

describe("SunSpec discovery", () => {
  it("finds SunS at 40000 and 50000, walks the chain, reads models 1 and 701 with scale factors, lists unknown models once", async () => {
    const der = fixture("device_1547.json").models as ModelData[];
    const inverter = fixture("inverter_123.json").models as ModelData[];
    const common = der.find((m) => m.ID === 1)!;
    const measure = der.find((m) => m.ID === 701)!;
    const unknown129 = inverter.find((m) => m.ID === 129)!;
    server = new ModbusTestServer("tcp");
    await server.listen();
    layOut(server.unit(1), 40000, [common, measure, unknown129]);
    layOut(
      server.unit(2),
      50000,
      inverter.filter((m) => m.ID === 1),
    );
    server.unit(3).set("holding", 0, [1, 2]); // no marker anywhere
    const harness = new AdapterHarness({ id: "pv" });
    const adapter = harness.create(modbus, {
      url: `tcp://127.0.0.1:${server.port}`,
      interval: "200ms",
      devices: [
        { unit_id: 1, name: "der", sunspec: true },
        { unit_id: 2, name: "inv", sunspec: true },
        { unit_id: 3, name: "none", sunspec: true },
      ],
    }) as ModbusAdapter;
    await adapter.start();
    stopAdapter = () => adapter.stop();
    await expect
      .poll(() => harness.points.filter((p) => p.metric === "der.DERMeasureAC.W").length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(() => harness.points.some((p) => p.metric === "inv.common.SN"), { timeout: 10_000 }).toBe(true);

    const derBatch = harness.batches.find((b) => b.some((p) => p.metric === "der.DERMeasureAC.W"))!;
    const got = new Map(derBatch.map((p) => [p.metric, p.value]));
    // Hand-checked: raw × 10^sf.
    expect(got.get("der.DERMeasureAC.W")).toBe(9800);
    expect(got.get("der.DERMeasureAC.PF")).toBe(0.985);
    expect(got.get("der.DERMeasureAC.A")).toBe(41.1);
    expect(got.get("der.DERMeasureAC.Hz")).toBe(60.01);
    expect(got.get("der.DERMeasureAC.TotWhInj")).toBe(150_000);
    expect(got.get("der.DERMeasureAC.TmpCab")).toBe(55);
    expect(got.get("der.common.Mn")).toBe("SunSpecTest");
    expect(got.get("der.common.SN")).toBe("sn-123456789");
    // Every value the device data gives, scaled by its definition's scale factor.
    const defs = DEFS[701];
    let checked = 0;
    for (const def of defs) {
      const raw = measure[def.name];
      if (["ID", "L"].includes(def.name) || def.type === "sunssf" || raw === null || raw === undefined) continue;
      const metric = `der.DERMeasureAC.${def.name}`;
      if (def.symbols && def.type.startsWith("enum")) {
        expect(got.get(metric), metric).toBe(def.symbols.find((s) => s.value === raw)?.name ?? String(raw));
      } else if (def.sf) {
        const sf = measure[def.sf] as number;
        expect(got.get(metric), metric).toBeCloseTo((raw as number) * 10 ** sf, 9);
      } else expect(got.get(metric), metric).toBe(raw);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    // Points the device data leaves out are "not implemented": skipped, not zero.
    expect(got.has("der.DERMeasureAC.InvSt")).toBe(false);
    expect(got.has("der.DERMeasureAC.ThrotPct")).toBe(false);
    expect(got.has("der.DERMeasureAC.W_SF")).toBe(false);
    expect(derBatch.find((p) => p.metric === "der.DERMeasureAC.Hz")?.tags).toEqual({ unit_id: "1", unit: "Hz" });

    const found = harness.log.lines.filter((l) => l.message === "SunSpec models found");
    expect(found.map((l) => [l.fields?.device, l.fields?.base, l.fields?.models])).toEqual([
      ["der", 40000, "1,701,129"],
      ["inv", 50000, "1"],
    ]);
    const unknownLines = harness.log.lines.filter((l) => l.message === "SunSpec models not read (no definition)");
    expect(unknownLines.map((l) => l.fields?.models)).toEqual(["129"]);
    expect(harness.log.lines.filter((l) => l.message.startsWith("no SunSpec marker")).map((l) => l.fields?.device)).toEqual(["none"]);
    // Common (66 registers) and 701 (153) sit back to back: 219 registers in two reads of ≤ 125.
    expect(adapter.devices[0].lastPollRequests).toBe(2);
    expect(adapter.devices[0].readPlan.map((r) => r.count).every((n) => n <= 125)).toBe(true);
  });

  it("a device silent at one probe address (some stay silent where nothing is mapped) is still found at the next", async () => {
    const inverter = fixture("inverter_123.json").models as ModelData[];
    server = new ModbusTestServer("tcp");
    await server.listen();
    layOut(
      server.unit(1),
      50000,
      inverter.filter((m) => m.ID === 1),
    );
    server.exceptionAt(1, "holding", 40000, 2);
    server.delayFor = (request) => (request.address === 0 ? 5000 : undefined); // no answer at 0
    const harness = new AdapterHarness({ id: "pv" });
    const adapter = harness.create(modbus, {
      url: `tcp://127.0.0.1:${server.port}`,
      interval: "200ms",
      timeout: "150ms",
      retries: 0,
      devices: [{ unit_id: 1, name: "inv", sunspec: true }],
    }) as ModbusAdapter;
    await adapter.start();
    stopAdapter = () => adapter.stop();
    await expect.poll(() => harness.points.some((p) => p.metric === "inv.common.SN"), { timeout: 10_000 }).toBe(true);
    const found = harness.log.lines.filter((l) => l.message === "SunSpec models found");
    expect(found.map((l) => l.fields?.base)).toEqual([50000]);
  });

  it("a device silent at every probe address is down, not a device without SunSpec", async () => {
    server = new ModbusTestServer("tcp");
    await server.listen();
    server.unit(1);
    server.silent.add(1);
    const harness = new AdapterHarness({ id: "pv" });
    const adapter = harness.create(modbus, {
      url: `tcp://127.0.0.1:${server.port}`,
      interval: "200ms",
      timeout: "100ms",
      retries: 0,
      devices: [{ unit_id: 1, name: "inv", sunspec: true }],
    }) as ModbusAdapter;
    await adapter.start();
    stopAdapter = () => adapter.stop();
    await expect.poll(() => harness.states.some((s) => s.detail?.includes("inv")), { timeout: 5000 }).toBe(true);
    expect(harness.log.lines.some((l) => l.message.startsWith("no SunSpec marker"))).toBe(false);
  });
});
