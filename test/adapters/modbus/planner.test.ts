/** The coalescing planner on the Eastron SDM630 map (adapters/modbus/maps/sdm630.yaml) and on edge cases. */
import { describe, expect, it } from "vitest";
import { loadMapFile } from "../../../adapters/modbus/map-file.js";
import { planReads } from "../../../adapters/modbus/planner.js";
import { type RegisterPoint, resolvePoints } from "../../../adapters/modbus/register-map.js";

const maps = new URL("../../../adapters/modbus/maps/", import.meta.url).pathname;
const defaults = { maxGap: 8, maxRegisters: 125, maxBits: 2000, coalesce: true };

describe("planner on the SDM630 map", () => {
  it("reads the 36 measurements in 2 requests instead of 36", async () => {
    const points = await loadMapFile("sdm630.yaml", maps);
    expect(points).toHaveLength(36);
    const plan = planReads(points, defaults);
    expect(plan.map((r) => [r.table, r.address, r.count])).toEqual([
      ["input", 0, 80],
      ["input", 342, 4],
    ]);
    expect(plan.flatMap((r) => r.points)).toHaveLength(36);
    expect(planReads(points, { ...defaults, coalesce: false })).toHaveLength(36);
  });

  it("respects a device's max_registers_per_read", async () => {
    const points = await loadMapFile("sdm630.yaml", maps);
    const plan = planReads(points, { ...defaults, maxRegisters: 32 });
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 32],
      [32, 32],
      [66, 14],
      [342, 4],
    ]);
    for (const read of plan) expect(read.count).toBeLessThanOrEqual(32);
  });

  it("max_gap 0 merges only adjacent registers", async () => {
    const points = await loadMapFile("sdm630.yaml", maps);
    const plan = planReads(points, { ...defaults, maxGap: 0 });
    // voltage_ln_avg ends at 44 and current_avg starts at 46: a 2-register hole splits them.
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 44],
      [46, 4],
      [52, 2],
      [56, 2],
      [60, 4],
      [66, 2],
      [70, 10],
      [342, 4],
    ]);
  });
});

describe("planner limits", () => {
  const many = (table: "coil" | "holding", n: number, step = 1): RegisterPoint[] =>
    resolvePoints(Array.from({ length: n }, (_, i) => ({ name: `p${i}`, table, address: i * step })));

  it("never reads more than 125 registers", () => {
    const plan = planReads(many("holding", 300), defaults);
    expect(plan.map((r) => r.count)).toEqual([125, 125, 50]);
  });

  it("never reads more than 2000 bits", () => {
    const plan = planReads(many("coil", 4500), defaults);
    expect(plan.map((r) => r.count)).toEqual([2000, 2000, 500]);
  });

  it("keeps tables apart and isolates points that raised exceptions", () => {
    const points = resolvePoints([
      { name: "a", table: "holding", address: 0 },
      { name: "b", table: "holding", address: 1 },
      { name: "c", table: "holding", address: 2 },
      { name: "d", table: "input", address: 1 },
    ]);
    expect(planReads(points, defaults).map((r) => [r.table, r.address, r.count])).toEqual([
      ["holding", 0, 3],
      ["input", 1, 1],
    ]);
    const split = planReads(points, { ...defaults, isolated: new Set(["b"]) });
    expect(split.map((r) => [r.table, r.address, r.count, r.points.map((p) => p.name).join()])).toEqual([
      ["holding", 0, 1, "a"],
      ["holding", 1, 1, "b"],
      ["holding", 2, 1, "c"],
      ["input", 1, 1, "d"],
    ]);
  });
});
