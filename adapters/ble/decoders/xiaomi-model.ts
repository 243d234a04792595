/**
 * What the MiBeacon object decoders share: where they put values, and the models whose objects
 * mean something device-specific (the same object id is a lux value on one sensor and a
 * light/dark flag on another, a button object names different buttons on each remote).
 */

/** Collects one frame's values; a later object of the same frame replaces an earlier value. */
export interface ObjectSink {
  /** Numbers and booleans are metrics; strings (button presses, lock actions, key ids) are events. */
  set(quantity: string, value: number | string | boolean, unit?: string): void;
}

/** Decodes one object's value bytes (length already checked against the frame). */
export type ObjectDecoder = (value: Buffer, model: string | undefined, out: ObjectSink) => void;

/**
 * Product id → model, for the models whose objects are decoded differently (ids as xiaomi-ble
 * lists them). Other products decode with the generic meaning of each object.
 */
export const XIAOMI_MODELS: Record<number, string> = {
  152: "HHCCJCY01",
  339: "YLYK01YL",
  426: "LYWSDCGQ",
  896: "DSL-C08",
  903: "MHO-C401",
  950: "YLKG07YL/YLKG08YL",
  956: "GCLS002",
  959: "YLYB01YL-BHFRC",
  1249: "XMMF01JQD",
  1254: "YLYK01YL-VENFAN",
  1371: "LYWSD03MMC",
  1678: "YLYK01YL-FANCL",
  1695: "ZNMS17LM",
  1983: "YLAI003",
  2038: "MJYD02YL",
  2147: "SJWS01LM",
  2443: "MCCGQ02HL",
  2455: "JTYJGD03MI",
  2691: "CGPR1",
  2701: "RTCGQ02LM",
  3581: "K9B-3BTN",
  5480: "K9B-1BTN",
  5481: "K9B-2BTN",
  6473: "XMWXKG01YL",
  7184: "K9BB-1BTN",
  9095: "XMWXKG01LM",
  14945: "KS1",
  15895: "KS1BP",
  18051: "XMOSB01XS",
  20313: "CGDK3",
  21003: "KS2BB",
  22888: "XMWS01XS",
  25461: "SJWS02LM",
  27151: "ES5BB",
};

/** Little-endian float32 rounded to `decimals`: the devices send e.g. 25.2 as 25.200000762939453. */
export function float32(value: Buffer, decimals: number): number {
  const power = 10 ** decimals;
  return Math.round(value.readFloatLE(0) * power) / power;
}
