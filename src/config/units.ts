/**
 * Zod helpers for values with units, shared by the core and every adapter's options:
 * durations (`250ms`, `2s`, `5m`, `6h`, `1d`; a bare number is milliseconds), sizes (`512MiB`,
 * `1GiB`, `10MB`; a bare number is bytes) and rates (`10Hz`, `0.5Hz`, `2/s`, `30/min`).
 */
import { z } from "zod";

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

const NUMBER_WITH_UNIT = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z/]*)\s*$/;

export function parseDuration(text: string): number | undefined {
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) return undefined;
  const unit = match[2] === "" ? "ms" : match[2].toLowerCase();
  const factor = DURATION_UNITS[unit];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

export function parseSize(text: string): number | undefined {
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) return undefined;
  const unit = match[2] === "" ? "b" : match[2].toLowerCase();
  const factor = SIZE_UNITS[unit];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** Returns Hz. */
export function parseRate(text: string): number | undefined {
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  switch (match[2].toLowerCase()) {
    case "":
    case "hz":
    case "/s":
      return value;
    case "khz":
      return value * 1000;
    case "/min":
      return value / 60;
    default:
      return undefined;
  }
}

function withUnit(parse: (text: string) => number | undefined, expected: string) {
  return z.union([z.number().nonnegative(), z.string()]).transform((input, ctx) => {
    if (typeof input === "number") return input;
    const value = parse(input);
    if (value === undefined) {
      ctx.issues.push({ code: "custom", input, message: `expected ${expected}, got "${input}"` });
      return z.NEVER;
    }
    return value;
  });
}

/** A duration; parses to milliseconds. */
export const duration = () => withUnit(parseDuration, "a duration like 250ms, 2s, 5m or 6h");
/** A size; parses to bytes. */
export const size = () => withUnit(parseSize, "a size like 64KiB, 512MiB or 1GiB");
/** A rate; parses to Hz. */
export const rate = () => withUnit(parseRate, "a rate like 10Hz, 0.5Hz or 30/min");
