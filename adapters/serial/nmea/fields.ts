/**
 * NMEA field readers. An empty field is "no value" (undefined), never 0: receivers leave fields
 * empty before a fix, and a 0 latitude would be a real place.
 */

export const KNOTS_TO_MS = 1852 / 3600;
export const KMH_TO_MS = 1 / 3.6;
const FEET_TO_M = 0.3048;
const FATHOMS_TO_M = 1.8288;

/** A decimal number, or undefined when empty or not a number. */
export function num(field: string | undefined): number | undefined {
  if (field === undefined || field === "") return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * `ddmm.mmmm` (or `dddmm.mmmm`) with its hemisphere → signed decimal degrees, + north/east.
 * Degrees and minutes are split on the text, not by dividing the number, so 5213.1439 gives
 * exactly 52 + 13.1439/60.
 */
export function coordinate(field: string | undefined, hemisphere: string | undefined): number | undefined {
  if (!field) return undefined;
  let dot = field.indexOf(".");
  if (dot === -1) dot = field.length;
  if (dot < 3) return undefined;
  const degrees = Number(field.slice(0, dot - 2));
  const minutes = Number(field.slice(dot - 2));
  if (!Number.isFinite(degrees) || !Number.isFinite(minutes) || minutes >= 60) return undefined;
  const value = degrees + minutes / 60;
  if (hemisphere === "S" || hemisphere === "W") return -value;
  if (hemisphere === "N" || hemisphere === "E") return value;
  return undefined;
}

/** `hhmmss[.sss]` → milliseconds since midnight UTC. */
export function timeOfDay(field: string | undefined): number | undefined {
  if (!field || field.length < 6) return undefined;
  const h = Number(field.slice(0, 2));
  const m = Number(field.slice(2, 4));
  const s = Number(field.slice(4));
  if (!Number.isInteger(h) || !Number.isInteger(m) || !Number.isFinite(s) || h > 23 || m > 59 || s >= 61) return undefined;
  return Math.round(((h * 60 + m) * 60 + s) * 1000);
}

/** `ddmmyy` → midnight UTC of that day in ms; years 80–99 are 19xx, the rest 20xx (as gpsd). */
export function dateDdmmyy(field: string | undefined): number | undefined {
  if (field?.length !== 6) return undefined;
  const d = Number(field.slice(0, 2));
  const mo = Number(field.slice(2, 4));
  const y = Number(field.slice(4, 6));
  if (!Number.isInteger(d) || !Number.isInteger(mo) || !Number.isInteger(y)) return undefined;
  return utcMidnight(y >= 80 ? 1900 + y : 2000 + y, mo, d);
}

export function utcMidnight(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return Date.UTC(year, month - 1, day);
}

/** A speed with its unit letter (N knots, K km/h, M m/s) → m/s. */
export function speedMs(value: number | undefined, unit: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (unit === "N") return value * KNOTS_TO_MS;
  if (unit === "K") return value * KMH_TO_MS;
  if (unit === "M") return value;
  return undefined;
}

/** A depth or length with its unit letter (M metres, f feet, F fathoms) → m. */
export function metres(value: number | undefined, unit: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (unit === "M" || unit === "" || unit === undefined) return value;
  if (unit === "f") return value * FEET_TO_M;
  if (unit === "F") return value * FATHOMS_TO_M;
  return undefined;
}

/** A variation or deviation with E/W → signed degrees, + east. */
export function eastWest(value: number | undefined, side: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (side === "W") return -value;
  if (side === "E") return value;
  return undefined;
}

/** lower_snake_case for names that come from the wire (XDR transducer ids). */
export function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}
