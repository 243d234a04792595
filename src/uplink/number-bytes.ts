/**
 * A number's JSON text (exactly `String(value)`) written as ASCII bytes. `String()` of a
 * fractional double runs V8's shortest-round-trip search, about half a microsecond, more than
 * everything else the frame encoder does for a point. Sensor values are mostly integers or
 * short decimals (a raw reading times 0.1, 0.01…), whose shortest form can be found with a few
 * multiplications and checked exactly; anything else still goes through `String()`.
 */

/** Longest `String(number)`: "-0.0000012345678901234567" (25; "-1.2345678901234567e-308" is 24). */
export const MAX_NUMBER_CHARS = 25;

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
/**
 * Below 2^30 a double's spacing is under 1e-6, so at most one decimal with ≤ 6 fraction digits
 * rounds to it: one that does is the unique shortest form `String()` would choose.
 */
const DECIMAL_LIMIT = 2 ** 30;

/** Writes `String(value)` for a finite `value` at `at` (room for MAX_NUMBER_CHARS is the caller's); returns the end. */
export function writeNumber(buf: Uint8Array, at: number, value: number): number {
  if (Number.isInteger(value)) {
    // Beyond 2^53 String() may use an exponent or digits this loop would not reproduce.
    if (value < 2 ** 53 && value > -(2 ** 53)) {
      if (value < 0) {
        buf[at++] = 0x2d;
        value = -value;
      }
      return writeDigits(buf, at, value, 0); // -0 writes "0", as String(-0) does
    }
  } else if (value < DECIMAL_LIMIT && value > -DECIMAL_LIMIT) {
    for (let k = 1; k < POW10.length; k++) {
      const scale = POW10[k];
      const m = Math.round(value * scale);
      // Exact check: the decimal m/10^k rounds to this very double. A multiple of 10 would mean
      // a shorter form was missed by rounding: let String() decide then.
      if (m / scale !== value) continue;
      if (m % 10 === 0) break;
      if (m < 0) buf[at++] = 0x2d;
      return writeDigits(buf, at, Math.abs(m), k);
    }
  }
  const text = String(value);
  for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** A non-negative integer < 2^53 as `n / 10^fraction` in decimal ("0.05" for 5, 2). */
function writeDigits(buf: Uint8Array, at: number, n: number, fraction: number): number {
  // Two halves below 2^31, so the digit loop runs on small integers, not on doubles.
  let high = Math.floor(n / 1e8);
  if (n - high * 1e8 < 0) high--; // n / 1e8 rounded up to the next integer
  let low = (n - high * 1e8) | 0;
  high |= 0;
  const digits = high > 0 ? 8 + digitCount(high) : digitCount(low);
  // Values under 1 get "0." and leading zeros.
  const width = Math.max(digits, fraction + 1);
  const end = at + width + (fraction > 0 ? 1 : 0);
  let pos = end;
  for (let i = 0; i < width; i++) {
    if (i === fraction && fraction > 0) buf[--pos] = 0x2e;
    if (i < 8) {
      const rest = (low / 10) | 0;
      buf[--pos] = 0x30 + low - rest * 10;
      low = rest;
    } else {
      const rest = (high / 10) | 0;
      buf[--pos] = 0x30 + high - rest * 10;
      high = rest;
    }
  }
  return end;
}

/** Digits of a non-negative integer below 2^31. */
function digitCount(n: number): number {
  let count = 1;
  for (let bound = 10; n >= bound && count < 10; bound *= 10) count++;
  return count;
}
