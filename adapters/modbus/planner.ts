/**
 * The coalescing planner: turns a device's points into as few reads as the protocol and the
 * device allow. Neighbouring points of one table share a read when the hole between them is at
 * most `maxGap` and the read stays within the register (125) or bit (2000) limit.
 */
import type { RegisterPoint, Table } from "./register-map.js";

/** Protocol limits of one read (Modbus application protocol v1.1b3, FC 1–4). */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface PlannedRead {
  table: Table;
  address: number;
  count: number;
  points: RegisterPoint[];
}

export interface PlanOptions {
  maxGap: number;
  maxRegisters: number;
  maxBits: number;
  /** false: one read per point (for devices that refuse anything else, and for the benchmark). */
  coalesce: boolean;
  /** Points read on their own (they answered an exception inside a merged read). */
  isolated?: ReadonlySet<string>;
}

const TABLE_ORDER: Table[] = ["holding", "input", "coil", "discrete"];

export function planReads(points: readonly RegisterPoint[], options: PlanOptions): PlannedRead[] {
  const reads: PlannedRead[] = [];
  for (const table of TABLE_ORDER) {
    const bitTable = table === "coil" || table === "discrete";
    const limit = Math.min(bitTable ? options.maxBits : options.maxRegisters, bitTable ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ);
    const ofTable = points.filter((p) => p.table === table).sort((a, b) => a.address - b.address || b.size - a.size);
    let current: PlannedRead | undefined;
    for (const point of ofTable) {
      if (point.size > limit) throw new Error(`${point.name}: ${point.size} registers do not fit in one read of at most ${limit}`);
      const alone = !options.coalesce || options.isolated?.has(point.name);
      const end = point.address + point.size;
      if (current && !alone && !current.points.some((p) => options.isolated?.has(p.name) || !options.coalesce)) {
        const currentEnd = current.address + current.count;
        const gap = point.address - currentEnd;
        const newCount = Math.max(currentEnd, end) - current.address;
        if (gap <= options.maxGap && newCount <= limit) {
          current.count = newCount;
          current.points.push(point);
          continue;
        }
      }
      current = { table, address: point.address, count: point.size, points: [point] };
      reads.push(current);
    }
  }
  return reads;
}

/** The words (or bits) of `point` inside the answer to `read`. */
export function sliceFor<T>(read: PlannedRead, point: RegisterPoint, data: readonly T[]): T[] {
  const start = point.address - read.address;
  return data.slice(start, start + point.size);
}
