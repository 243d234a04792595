/**
 * The free space the spool leaves on its filesystem (`queue.disk_reserve`). A field gateway's
 * root filesystem is shared with everything else on the box: a spool that fills it takes down
 * the other services too. Read with statfs before each write (one cheap system call).
 */
import { statfsSync } from "node:fs";

/** Bytes, a percentage of the filesystem, or both (the smaller applies). */
export interface DiskReserve {
  bytes?: number;
  percent?: number;
}

/** The default: 5 % of the filesystem, at most 64 MiB (a 1 GB card keeps 50 MB, a 1 TB disk 64 MiB). */
export const DEFAULT_DISK_RESERVE: DiskReserve = { bytes: 64 * 1024 * 1024, percent: 5 };

export function reserveBytes(reserve: DiskReserve, totalBytes: number): number {
  const byPercent = reserve.percent === undefined ? Number.POSITIVE_INFINITY : (totalBytes * reserve.percent) / 100;
  const bytes = Math.min(reserve.bytes ?? Number.POSITIVE_INFINITY, byPercent);
  return Number.isFinite(bytes) ? bytes : 0;
}

/** Free bytes on the filesystem of `dir` above the reserve (negative: inside it). */
export function freeAbove(dir: string, reserve: DiskReserve): number {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize - reserveBytes(reserve, fs.blocks * fs.bsize);
}

/** `queue.disk_reserve` as configured: a size in bytes or "N%". */
export function parseDiskReserve(value: number | string | undefined): DiskReserve {
  if (value === undefined) return DEFAULT_DISK_RESERVE;
  if (typeof value === "number") return { bytes: value };
  return { percent: Number(value.replace("%", "")) };
}

export function describeReserve(reserve: DiskReserve): string {
  const parts = [];
  if (reserve.percent !== undefined) parts.push(`${reserve.percent} %`);
  if (reserve.bytes !== undefined) parts.push(`${Math.round(reserve.bytes / 1024)} KiB`);
  return parts.join(" or ");
}
