/** SunSpec model layout: repeating groups (MPPT modules of model 160) and the model table itself. */
import { describe, expect, it } from "vitest";
import { modelPoints } from "../../../adapters/modbus/sunspec/discovery.js";
import { SUNSPEC_MODELS } from "../../../adapters/modbus/sunspec/models.js";
import { toPointValue } from "../../../adapters/modbus/values.js";

describe("SunSpec models", () => {
  it("has the models the issue asks for", () => {
    expect(SUNSPEC_MODELS.map((m) => m.id)).toEqual([1, 101, 103, 113, 160, 201, 203, 213, 701, 802]);
  });

  it("expands model 160's modules from the model length and points them at the shared scale factors", () => {
    const def = SUNSPEC_MODELS.find((m) => m.id === 160)!;
    // 8 fixed registers after ID/L, then two 20-register modules.
    const points = modelPoints(def, { id: 160, address: 1000, length: 8 + 2 * 20 }, "mppt");
    const byName = new Map(points.map((p) => [p.name, p]));
    expect(byName.get("mppt.DCA_SF")).toMatchObject({ address: 1002, type: "int16", hidden: true });
    expect(byName.get("mppt.module1.ID")).toMatchObject({ address: 1010, type: "uint16" });
    expect(byName.get("mppt.module1.IDStr")).toMatchObject({ address: 1011, type: "string", size: 8 });
    expect(byName.get("mppt.module1.DCA")).toMatchObject({ address: 1019, scaleFactorPoint: "mppt.DCA_SF", unit: "A" });
    expect(byName.get("mppt.module2.DCA")).toMatchObject({ address: 1039, scaleFactorPoint: "mppt.DCA_SF" });
    expect(byName.get("mppt.module2.DCSt")?.labels?.get(4)).toBe("MPPT");
    expect(byName.has("mppt.module3.DCA")).toBe(false);
  });

  it("clips points beyond the length the device declares (older, shorter model revisions)", () => {
    const def = SUNSPEC_MODELS.find((m) => m.id === 103)!;
    const full = modelPoints(def, { id: 103, address: 0, length: 50 }, "inv");
    const short = modelPoints(def, { id: 103, address: 0, length: 20 }, "inv");
    expect(short.length).toBeLessThan(full.length);
    for (const p of short) expect(p.address + p.size).toBeLessThanOrEqual(22);
  });

  it("skips SunSpec's not-implemented values and applies scale factors", () => {
    const float = modelPoints(SUNSPEC_MODELS.find((m) => m.id === 113)!, { id: 113, address: 0, length: 60 }, "inv");
    const w = float.find((p) => p.name === "inv.W")!;
    expect(toPointValue(w, Number.NaN, new Map())).toEqual({ kind: "skip" });
    expect(toPointValue(w, 1500.5, new Map())).toEqual({ kind: "value", value: 1500.5 });
    const scaled = modelPoints(SUNSPEC_MODELS.find((m) => m.id === 103)!, { id: 103, address: 0, length: 50 }, "inv");
    const a = scaled.find((p) => p.name === "inv.A")!;
    expect(a.scaleFactorPoint).toBe("inv.A_SF");
    expect(toPointValue(a, 123, new Map([["inv.A_SF", -2]]))).toEqual({ kind: "value", value: 1.23 });
    expect(toPointValue(a, 123, new Map([["inv.A_SF", 2]]))).toEqual({ kind: "value", value: 12300 });
    expect(toPointValue(a, 123, new Map([["inv.A_SF", -32768]]))).toEqual({ kind: "skip" });
    expect(toPointValue(a, 0xffff, new Map([["inv.A_SF", 0]]))).toEqual({ kind: "skip" });
    expect(toPointValue(a, 123, new Map([["inv.A_SF", 40]]))).toEqual({ kind: "bad", counter: "bad_scale_factors" });
    const st = scaled.find((p) => p.name === "inv.St")!;
    expect(toPointValue(st, 4, new Map())).toEqual({ kind: "value", value: "MPPT" });
  });
});
