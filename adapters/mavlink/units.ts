/**
 * Scaled MAVLink integers to real units, and the XML's "not available" markers. Pure tables.
 */

export interface Scaling {
  /** value × mul ÷ div: dividing by 1e7 rather than multiplying by 1e-7 keeps 47123456 degE7 = 4.7123456 exact. */
  mul: number;
  div: number;
  unit: string;
}

/** Units the definitions use for scaled integers → the real unit. */
const SCALED: Record<string, [mul: number, div: number, unit: string]> = {
  degE7: [1, 1e7, "deg"],
  degE5: [1, 1e5, "deg"],
  cdeg: [1, 100, "deg"],
  "deg/2": [2, 1, "deg"],
  "ddeg/s": [1, 10, "deg/s"],
  mrad: [1, 1000, "rad"],
  "mrad/s": [1, 1000, "rad/s"],
  mm: [1, 1000, "m"],
  cm: [1, 100, "m"],
  dm: [1, 10, "m"],
  dam: [10, 1, "m"],
  "mm/s": [1, 1000, "m/s"],
  "cm/s": [1, 100, "m/s"],
  "dm/s": [1, 10, "m/s"],
  "m/s*5": [1, 5, "m/s"],
  mV: [1, 1000, "V"],
  cV: [1, 100, "V"],
  mA: [1, 1000, "A"],
  cA: [1, 100, "A"],
  cdegC: [1, 100, "degC"],
  // mG is milli-g, an acceleration (SCALED_IMU.xacc), not milligauss (that is mgauss): in the unit the
  // definitions use for acceleration elsewhere (HIGHRES_IMU.xacc), with standard gravity 9.80665 m/s².
  mG: [9.80665, 1000, "m/s/s"],
  mgauss: [1, 1000, "gauss"],
  hJ: [100, 1, "J"],
  ds: [1, 10, "s"],
  cs: [1, 100, "s"],
  "d%": [1, 10, "%"],
  "c%": [1, 100, "%"],
  dpix: [1, 10, "pix"],
};

const RAD_TO_DEG = 180 / Math.PI;

/** How a field given in `units` becomes a value in a real unit; undefined unit when the field has none. */
export function scalingFor(units: string, angles: "radians" | "degrees"): Scaling {
  const scaled = SCALED[units];
  let [mul, div, unit] = scaled ?? [1, 1, units];
  if (angles === "degrees" && (unit === "rad" || unit === "rad/s")) {
    mul *= RAD_TO_DEG;
    unit = unit === "rad" ? "deg" : "deg/s";
  }
  return { mul, div, unit };
}

/**
 * The XML's `invalid` attribute, parsed. Scalars: the value that means "not available".
 * Arrays: `[X]` drops elements equal to X (integer arrays) or the whole array when every element
 * is X (float arrays such as quaternions, where a single 0 is a valid component); `[X:]` drops
 * the first element equal to X and all after it.
 */
export interface InvalidMarker {
  value: number;
  array: "none" | "each" | "from";
}

const NAMED: Record<string, number> = {
  INT8_MAX: 127,
  UINT8_MAX: 255,
  INT16_MAX: 32767,
  UINT16_MAX: 65535,
  INT32_MAX: 2147483647,
  UINT32_MAX: 4294967295,
  NaN: Number.NaN,
  NAN: Number.NaN,
  MAV_LANDED_STATE_UNDEFINED: 0,
};

export function parseInvalidMarker(text: string): InvalidMarker | undefined {
  const array = /^\[(.*?)(:?)\]$/.exec(text);
  const body = array ? array[1] : text;
  const value = body in NAMED ? NAMED[body] : Number(body);
  if (!Number.isNaN(value) || body.toUpperCase() === "NAN") {
    return { value, array: array ? (array[2] ? "from" : "each") : "none" };
  }
  return undefined;
}

/** Whether a raw value is the marker (NaN markers match NaN). */
export function isMarker(raw: number, marker: number): boolean {
  return raw === marker || (Number.isNaN(marker) && Number.isNaN(raw));
}
