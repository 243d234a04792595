/**
 * What gpsd's regression output (`.chk`) says the bridge must emit for a log, built from the
 * `.chk` alone: for every sentence that carries a fix, the values of the TPV report gpsd printed
 * right after it. Sequences per metric, in sentence order, so they can be compared with the
 * points that came through a pty without knowing which read carried which sentence.
 */

export interface Expected {
  /** undefined where gpsd printed no report after the sentence: the value is then not checked. */
  value: number | undefined;
  /** Time of day (ms since midnight UTC) of the report, when it has one. */
  timeOfDay: number | undefined;
}

interface Tpv {
  class: string;
  lat?: number;
  lon?: number;
  altMSL?: number;
  speed?: number;
  track?: number;
  time?: string;
}

/** Which TPV field each metric of a sentence type must equal; the sentence's own fields say whether it carries it. */
const RULES: Record<string, { carries: (f: string[]) => boolean; metrics: [string, keyof Tpv, (f: string[]) => boolean][] }> = {
  GGA: {
    carries: (f) => f[6] !== "" && f[6] !== "0" && f[2] !== "",
    metrics: [
      ["gga.latitude", "lat", () => true],
      ["gga.longitude", "lon", () => true],
      ["gga.altitude", "altMSL", (f) => f[9] !== ""],
    ],
  },
  RMC: {
    carries: (f) => f[2] === "A" && f[3] !== "",
    metrics: [
      ["rmc.latitude", "lat", () => true],
      ["rmc.longitude", "lon", () => true],
      ["rmc.speed", "speed", (f) => f[7] !== ""],
      ["rmc.course", "track", (f) => f[8] !== ""],
    ],
  },
  GLL: {
    carries: (f) => f[6] === "A" && f[1] !== "",
    metrics: [
      ["gll.latitude", "lat", () => true],
      ["gll.longitude", "lon", () => true],
    ],
  },
};

export const TOLERANCE: Record<string, number> = { lat: 1e-8, lon: 1e-8, altMSL: 1e-3, speed: 1e-3, track: 1e-4 };

export function expectationsFromChk(chk: string): Map<string, { expected: Expected[]; field: keyof Tpv }> {
  const result = new Map<string, { expected: Expected[]; field: keyof Tpv }>();
  const lines = chk.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line.startsWith("$")) continue;
    const fields = line.slice(1, line.lastIndexOf("*")).split(",");
    const rule = RULES[fields[0].slice(2)];
    if (!rule?.carries(fields)) continue;
    const next = lines[i + 1]?.trim();
    const report = next?.startsWith("{") ? (JSON.parse(next) as Tpv) : undefined;
    const tpv = report?.class === "TPV" ? report : undefined;
    for (const [metric, field, present] of rule.metrics) {
      if (!present(fields)) continue;
      const entry = result.get(metric) ?? { expected: [], field };
      result.set(metric, entry);
      entry.expected.push({
        value: tpv?.[field] as number | undefined,
        timeOfDay: tpv?.time ? Date.parse(tpv.time) % 86_400_000 : undefined,
      });
    }
  }
  return result;
}
