/**
 * SunSpec discovery: find the "SunS" marker, walk the model chain (ID, length, body; ends at ID
 * 0xFFFF), and turn the models we have definitions for into register points with their scale
 * factors. Metric names are `<model name>.<point>` (e.g. `inverter_three_phase.W`,
 * `mppt.module1.DCA`), the SunSpec names every inverter manual uses.
 */

import { ModbusExceptionError, ModbusTimeoutError } from "../errors.js";
import type { RegisterPoint } from "../register-map.js";
import { SUNSPEC_MODELS, type SunSpecModelDef, type SunSpecPointDef } from "./models.js";

/** Where devices put the marker, in the order the SunSpec spec asks clients to probe. */
export const SUNSPEC_BASES = [40000, 0, 50000];
const MARKER = [0x5375, 0x6e53]; // "SunS"
const END_OF_CHAIN = 0xffff;
const MAX_MODELS = 64;

export interface FoundModel {
  id: number;
  /** Address of the model's ID register. */
  address: number;
  length: number;
}

export interface Discovery {
  base: number;
  models: FoundModel[];
  unknown: number[];
  points: RegisterPoint[];
}

type ReadHolding = (address: number, count: number) => Promise<number[]>;

export async function discoverSunSpec(read: ReadHolding): Promise<Discovery | undefined> {
  const base = await findMarker(read);
  if (base === undefined) return undefined;
  const models: FoundModel[] = [];
  let address = base + 2;
  while (models.length < MAX_MODELS && address + 2 <= 65536) {
    let header: number[];
    try {
      header = await read(address, 2);
    } catch (error) {
      // A chain without its end marker: keep what was found.
      if (error instanceof ModbusExceptionError) break;
      throw error;
    }
    const [id, length] = header;
    if (id === END_OF_CHAIN || id === 0) break;
    models.push({ id, address, length });
    address += 2 + length;
  }
  const points: RegisterPoint[] = [];
  const unknown: number[] = [];
  const seenNames = new Map<string, number>();
  for (const model of models) {
    const def = SUNSPEC_MODELS.find((m) => m.id === model.id);
    if (!def) {
      unknown.push(model.id);
      continue;
    }
    const n = (seenNames.get(def.name) ?? 0) + 1;
    seenNames.set(def.name, n);
    points.push(...modelPoints(def, model, n === 1 ? def.name : `${def.name}_${n}`));
  }
  return { base, models, unknown, points };
}

/**
 * Probes the bases in turn. Some devices answer an address where nothing is mapped with silence
 * rather than an exception: a timeout at one base means "not here" as long as another base
 * answers. Silence at every base means the device itself is not answering.
 */
async function findMarker(read: ReadHolding): Promise<number | undefined> {
  let silence: unknown;
  let answered = false;
  for (const base of SUNSPEC_BASES) {
    try {
      const words = await read(base, 2);
      answered = true;
      if (words[0] === MARKER[0] && words[1] === MARKER[1]) return base;
    } catch (error) {
      if (error instanceof ModbusExceptionError) answered = true;
      else if (error instanceof ModbusTimeoutError) silence ??= error;
      else throw error;
    }
  }
  if (!answered && silence !== undefined) throw silence;
  return undefined;
}

/** The points of one model instance, addresses absolute, clipped to the length the device declares. */
export function modelPoints(def: SunSpecModelDef, model: FoundModel, prefix: string): RegisterPoint[] {
  const out: RegisterPoint[] = [];
  const end = model.address + 2 + model.length;
  let address = model.address;
  const topNames = new Set(def.points.map((p) => p.name));
  for (const point of def.points) {
    // The model header (ID, L) is not data; a module's own ID inside a group is.
    const header = point.name === "ID" || point.name === "L";
    const resolved = header ? undefined : toRegisterPoint(point, address, `${prefix}.${point.name}`, (sf) => `${prefix}.${sf}`);
    if (resolved && address + point.size <= end) out.push(resolved);
    address += point.size;
  }
  for (const group of def.groups ?? []) {
    const groupSize = group.points.reduce((sum, p) => sum + p.size, 0);
    const count = Math.max(0, Math.floor((end - address) / groupSize));
    const groupNames = new Set(group.points.map((p) => p.name));
    for (let i = 1; i <= count; i++) {
      const groupPrefix = `${prefix}.${group.name}${i}`;
      for (const point of group.points) {
        const sfName = (sf: string) => (groupNames.has(sf) ? `${groupPrefix}.${sf}` : topNames.has(sf) ? `${prefix}.${sf}` : sf);
        const resolved = toRegisterPoint(point, address, `${groupPrefix}.${point.name}`, sfName);
        if (resolved) out.push(resolved);
        address += point.size;
      }
    }
  }
  return out;
}

const BASE: Pick<RegisterPoint, "table" | "byteOrder" | "scale" | "offset"> = { table: "holding", byteOrder: "ABCD", scale: 1, offset: 0 };

function toRegisterPoint(point: SunSpecPointDef, address: number, name: string, sfName: (sf: string) => string): RegisterPoint | undefined {
  const common = { ...BASE, name, address, size: point.size, unit: point.units, scaleFactorPoint: point.sf ? sfName(point.sf) : undefined };
  const labels = point.symbols ? new Map(Object.entries(point.symbols).map(([code, label]) => [Number(code), label])) : undefined;
  switch (point.type) {
    case "int16":
      return { ...common, type: "int16", notImplemented: -0x8000 };
    case "uint16":
    case "bitfield16":
      return { ...common, type: "uint16", notImplemented: 0xffff };
    case "enum16":
      return { ...common, type: "uint16", notImplemented: 0xffff, labels };
    case "acc16":
      return { ...common, type: "uint16", notImplemented: 0 };
    case "count":
      return { ...common, type: "uint16", hidden: true };
    case "sunssf":
      return { ...common, type: "int16", hidden: true, unit: undefined };
    case "int32":
      return { ...common, type: "int32", notImplemented: -0x80000000 };
    case "uint32":
    case "bitfield32":
      return { ...common, type: "uint32", notImplemented: 0xffffffff };
    case "enum32":
      return { ...common, type: "uint32", notImplemented: 0xffffffff, labels };
    case "acc32":
      return { ...common, type: "uint32", notImplemented: 0 };
    case "uint64":
    case "acc64":
      return { ...common, type: "uint64", notImplemented: point.type === "acc64" ? 0n : 0xffffffffffffffffn };
    case "int64":
      return { ...common, type: "int64", notImplemented: -0x8000000000000000n };
    case "float32":
      return { ...common, type: "float32", notImplemented: Number.NaN };
    case "string":
      return { ...common, type: "string", notImplemented: "" };
    default:
      // pad, ipaddr, eui48…: nothing to emit.
      return undefined;
  }
}
