/** What every BLE decoder returns: quantities named in lower snake case, in the units the README lists. */

export interface Reading {
  /** `temperature`, `humidity`, `temperature_2`… (the device name is put in front by the adapter). */
  quantity: string;
  /** Numbers are metrics; booleans are sent as 0/1 metrics; strings (button presses, text) are events. */
  value: number | string | boolean;
  unit?: string;
  /** Identity a beacon carries (iBeacon uuid/major/minor, Eddystone namespace/instance), as point tags. */
  tags?: Record<string, string>;
}

/** The outcome of one advertisement: readings, or why there are none (counted by the adapter). */
export interface DecodeResult {
  readings: Reading[];
  /** A health counter to bump instead of (or besides) emitting, e.g. `decrypt_failures`. */
  problem?: string;
  /** A sender-side packet id or counter, for duplicate detection (BTHome packet id, MiBeacon frame counter). */
  packetId?: number;
}

const powers = new Map<number, number>();

/**
 * Numbers rounded to the resolution a format gives them, so 0.01 steps do not print as
 * 25.060000000000002. A power of ten per step, cached: this runs for every reading.
 */
export function roundTo(value: number, step: number): number {
  let power = powers.get(step);
  if (power === undefined) {
    power = 10 ** Math.min(12, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
    powers.set(step, power);
  }
  return Math.round(value * power) / power;
}

/** Names repeated quantities `x_1`, `x_2`… as BTHome does when one packet carries several of a kind. */
export function numberRepeats(readings: Reading[]): Reading[] {
  if (!hasRepeats(readings)) return readings;
  const counts = new Map<string, number>();
  for (const reading of readings) counts.set(reading.quantity, (counts.get(reading.quantity) ?? 0) + 1);
  const seen = new Map<string, number>();
  return readings.map((reading) => {
    if ((counts.get(reading.quantity) ?? 0) < 2) return reading;
    const n = (seen.get(reading.quantity) ?? 0) + 1;
    seen.set(reading.quantity, n);
    return { ...reading, quantity: `${reading.quantity}_${n}` };
  });
}

/** Packets carry a handful of readings: a nested loop beats building a map for each one. */
function hasRepeats(readings: Reading[]): boolean {
  for (let i = 1; i < readings.length; i++) {
    for (let j = 0; j < i; j++) if (readings[i].quantity === readings[j].quantity) return true;
  }
  return false;
}
