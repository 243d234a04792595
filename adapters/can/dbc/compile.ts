/**
 * Compiles one DBC message into a decoder function (`new Function`) with every byte index, shift,
 * mask, sign bit, factor and multiplexer test written as literals, so V8 sees straight-line
 * integer code. No allocation per frame: results go into caller-owned typed arrays.
 * Signals over 53 bits are assembled as two exact 32-bit halves and combined with one rounding
 * (the same double `Number(BigInt)` would give), so no BigInt is needed.
 */
import { type BitChunk, bytesNeeded, signalChunks } from "./layout.js";
import type { DbcMessage, DbcSignal } from "./model.js";

/**
 * Writes the signals present in the frame: `idx[k]` is the signal's index in `signals`, `val[k]`
 * its physical value, `raw[k]` its raw integer (written only for signals with a value table and
 * multiplexer switches). Returns how many were written.
 */
export type MessageDecodeFn = (data: Uint8Array, length: number, idx: Int32Array, val: Float64Array, raw: Float64Array) => number;

export interface CompiledMessage {
  message: DbcMessage;
  /** Decodable signals; `idx` values index this array. */
  signals: DbcSignal[];
  decode: MessageDecodeFn;
  /** The generated source, for debugging. */
  source: string;
}

export interface CompileOptions {
  /** false: report raw values (no factor/offset), as `cantools decode --no-scaling` does. */
  scaling?: boolean;
}

export function compileMessage(message: DbcMessage, options: CompileOptions = {}): CompiledMessage {
  const scaling = options.scaling !== false;
  const signals = orderBySwitchDepth(message.signals.filter((s) => s.length >= 1 && s.length <= 64));
  const indexOf = new Map(signals.map((s, i) => [s.name, i]));
  const lines: string[] = ["let n = 0, r = 0, lo = 0, hi = 0;"];
  for (let i = 0; i < signals.length; i++) {
    const signal = signals[i];
    const conditions = [`len >= ${bytesNeeded(signal)}`];
    const mux = signal.multiplexer;
    if (mux) {
      const parent = indexOf.get(mux.signal);
      if (parent === undefined) continue;
      const tests = mux.ranges.map(([a, b]) => (a === b ? `s${parent} === ${a}` : `(s${parent} >= ${a} && s${parent} <= ${b})`));
      conditions.unshift(`p${parent}`, `(${tests.join(" || ")})`);
    }
    if (signal.isMultiplexer) lines.push(`let p${i} = false, s${i} = 0;`);
    lines.push(`if (${conditions.join(" && ")}) {`);
    lines.push(...rawStatements(signal).map((line) => `  ${line}`));
    if (signal.isMultiplexer) lines.push(`  p${i} = true; s${i} = r;`);
    const keepRaw = signal.isMultiplexer || signal.choices !== undefined;
    lines.push(`  idx[n] = ${i}; val[n] = ${scaled(signal, scaling)};${keepRaw ? " raw[n] = r;" : ""} n++;`);
    lines.push("}");
  }
  lines.push("return n;");
  const name = `decode_${message.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const source = `return function ${name}(d, len, idx, val, raw) {\n  ${lines.join("\n  ")}\n};`;
  const scratch = new DataView(new ArrayBuffer(8));
  const decode = new Function("sv", source)(scratch) as MessageDecodeFn;
  return { message, signals, decode, source };
}

/** Switches first (then what they select), so a switch's value is known before its dependants test it. */
function orderBySwitchDepth(signals: DbcSignal[]): DbcSignal[] {
  const byName = new Map(signals.map((s) => [s.name, s]));
  const depth = (signal: DbcSignal): number => {
    let d = 0;
    let cursor: DbcSignal | undefined = signal;
    while (cursor?.multiplexer && d <= signals.length) {
      cursor = byName.get(cursor.multiplexer.signal);
      d++;
    }
    return d;
  };
  return signals
    .map((signal, order) => ({ signal, order, depth: depth(signal) }))
    .sort((a, b) => a.depth - b.depth || a.order - b.order)
    .map((entry) => entry.signal);
}

function scaled(signal: DbcSignal, scaling: boolean): string {
  if (!scaling || (signal.factor === 1 && signal.offset === 0)) return "r";
  if (signal.offset === 0) return `r * ${literal(signal.factor)}`;
  return `r * ${literal(signal.factor)} + ${literal(signal.offset)}`;
}

function literal(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}

/** Statements that leave the signal's raw value (signed, or the IEEE float) in `r`. */
function rawStatements(signal: DbcSignal): string[] {
  const chunks = signalChunks(signal);
  const length = signal.length;
  if (signal.valueType === "float32")
    return [`r = ${sumExpression(chunks, false)};`, "sv.setUint32(0, r, true); r = sv.getFloat32(0, true);"];
  if (length <= 31) {
    const expr = sumExpression(chunks, true);
    if (!signal.signed) return [`r = ${expr};`];
    const shift = 32 - length;
    return shift === 0 ? [`r = ${expr};`] : [`r = ((${expr}) << ${shift}) >> ${shift};`];
  }
  if (length <= 53 && signal.valueType === "integer") {
    const expr = sumExpression(chunks, false);
    if (!signal.signed) return [`r = ${expr};`];
    return [`r = ${expr};`, `if (r >= ${2 ** (length - 1)}) r -= ${2 ** length};`];
  }
  // Wider than 53 bits (or a double): assemble exact 32-bit halves.
  const { low, high } = splitAt32(chunks);
  const statements = [`lo = ${sumExpression(low, false)};`, `hi = ${sumExpression(high, false)};`];
  if (signal.valueType === "float64") {
    statements.push("sv.setUint32(0, lo, true); sv.setUint32(4, hi, true); r = sv.getFloat64(0, true);");
    return statements;
  }
  const highBits = length - 32;
  // Two's complement of the high half is exact; adding the low half rounds once.
  if (signal.signed) statements.push(`if (hi >= ${2 ** (highBits - 1)}) hi -= ${2 ** highBits};`);
  statements.push("r = hi * 4294967296 + lo;");
  return statements;
}

function splitAt32(chunks: BitChunk[]): { low: BitChunk[]; high: BitChunk[] } {
  const low: BitChunk[] = [];
  const high: BitChunk[] = [];
  for (const chunk of chunks) {
    if (chunk.shift + chunk.width <= 32) low.push(chunk);
    else if (chunk.shift >= 32) high.push({ ...chunk, shift: chunk.shift - 32 });
    else {
      const lowWidth = 32 - chunk.shift;
      low.push({ ...chunk, width: lowWidth });
      high.push({ byte: chunk.byte, lowBit: chunk.lowBit + lowWidth, width: chunk.width - lowWidth, shift: 0 });
    }
  }
  return { low, high };
}

/** Sum of the chunks; `bitwise` (only for ≤31-bit values) uses shifts, otherwise exact multiplications. */
function sumExpression(chunks: BitChunk[], bitwise: boolean): string {
  if (chunks.length === 0) return "0";
  const terms = chunks.map((chunk) => {
    let term = `d[${chunk.byte}]`;
    if (chunk.lowBit > 0) term = `(${term} >> ${chunk.lowBit})`;
    if (chunk.lowBit + chunk.width < 8) term = `(${term} & ${(1 << chunk.width) - 1})`;
    if (chunk.shift === 0) return term;
    return bitwise ? `(${term} << ${chunk.shift})` : `${term} * ${2 ** chunk.shift}`;
  });
  return terms.join(bitwise ? " | " : " + ");
}
