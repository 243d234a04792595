/** Checks that need the whole file: bit ranges against message lengths, multiplexer references. */
import { FD_LENGTHS } from "../frame.js";
import { bytesNeeded } from "./layout.js";
import type { DbcDatabase, DbcProblem } from "./model.js";

export function validateDatabase(db: DbcDatabase, file: string): DbcProblem[] {
  const problems: DbcProblem[] = [];
  const error = (line: number, col: number, message: string) => problems.push({ file, line, col, message, severity: "error" });
  for (const message of db.messages) {
    if (message.length > 64 || (message.length > 8 && !(FD_LENGTHS as readonly number[]).includes(message.length))) {
      error(
        message.line,
        message.col,
        `${message.name}: length ${message.length} is not a CAN or CAN FD length (0-8, 12, 16, 20, 24, 32, 48, 64)`,
      );
    }
    const switches = message.signals.filter((s) => s.isMultiplexer);
    for (const signal of message.signals) {
      if (signal.length < 1 || signal.length > 64) {
        error(signal.line, signal.col, `${message.name}.${signal.name}: length ${signal.length} must be 1 to 64 bits`);
        continue;
      }
      const needed = bytesNeeded(signal);
      if (signal.startBit >= 512 || needed < 1) {
        error(signal.line, signal.col, `${message.name}.${signal.name}: start bit ${signal.startBit} is outside any CAN FD frame`);
      } else if (needed > Math.max(message.length, 1)) {
        error(
          signal.line,
          signal.col,
          `${message.name}.${signal.name}: bits ${signal.startBit}|${signal.length}@${signal.littleEndian ? 1 : 0} need ${needed} bytes but the message is ${message.length}`,
        );
      }
      const mux = signal.multiplexer;
      if (!mux) continue;
      if (mux.signal === "") {
        // `mN` without SG_MUL_VAL_: selected by the message's top-level switch.
        const top = switches.filter((s) => !s.multiplexer);
        const candidates = top.filter((s) => s !== signal);
        if (candidates.length !== 1) {
          error(
            signal.line,
            signal.col,
            candidates.length === 0
              ? `${message.name}.${signal.name} is multiplexed (m${mux.ranges[0][0]}) but the message has no multiplexer switch (M)`
              : `${message.name}.${signal.name}: several multiplexer switches and no SG_MUL_VAL_ says which one selects it`,
          );
          signal.multiplexer = undefined;
          continue;
        }
        mux.signal = candidates[0].name;
      } else if (!switches.some((s) => s.name === mux.signal)) {
        error(
          signal.line,
          signal.col,
          `${message.name}.${signal.name}: SG_MUL_VAL_ names ${mux.signal}, which is not a multiplexer switch of the message`,
        );
        signal.multiplexer = undefined;
      }
    }
    // A switch that (through SG_MUL_VAL_) depends on itself would never decode.
    for (const signal of message.signals) {
      const seen = new Set<string>();
      let cursor: typeof signal | undefined = signal;
      while (cursor?.multiplexer) {
        if (seen.has(cursor.name)) {
          error(signal.line, signal.col, `${message.name}.${signal.name}: multiplexer chain loops through ${cursor.name}`);
          signal.multiplexer = undefined;
          break;
        }
        seen.add(cursor.name);
        const parent: string = cursor.multiplexer.signal;
        cursor = message.signals.find((s) => s.name === parent);
      }
    }
  }
  return problems;
}
