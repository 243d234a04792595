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
  const fast = parseDecimal(field, 0, field.length);
  if (fast !== undefined) return fast;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `[-+]ddd[.ddd]` in text[from, to) without Number()'s generic parsing, the cost that dominates
 * NMEA decoding. Exact: with at most 15 digits the digits form an exact integer and 10^k is
 * exact, so the one division rounds correctly, to the same double as Number(). Anything else
 * (exponents, longer numbers) returns undefined and the caller falls back to Number().
 */
function parseDecimal(text: string, from: number, to: number): number | undefined {
  let i = from;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 0x2d || first === 0x2b) {
    negative = first === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 0x2e && decimals < 0) decimals = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  const value = decimals > 0 ? mantissa / POWERS_OF_TEN[decimals] : mantissa;
  return negative ? -value : value;
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
  const degrees = parseDecimal(field, 0, dot - 2);
  const minutes = parseDecimal(field, dot - 2, field.length);
  if (degrees === undefined || minutes === undefined || minutes >= 60) return undefined;
  const value = degrees + minutes / 60;
  if (hemisphere === "S" || hemisphere === "W") return -value;
  if (hemisphere === "N" || hemisphere === "E") return value;
  return undefined;
}

/** `hhmmss[.sss]` → milliseconds since midnight UTC. */
export function timeOfDay(field: string | undefined): number | undefined {
  if (!field || field.length < 6) return undefined;
  const h = parseDecimal(field, 0, 2);
  const m = parseDecimal(field, 2, 4);
  const s = parseDecimal(field, 4, field.length);
  if (h === undefined || m === undefined || s === undefined || !Number.isInteger(h) || !Number.isInteger(m) || h > 23 || m > 59 || s >= 61)
    return undefined;
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
