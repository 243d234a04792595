/** All messages of one or more DBC files, compiled and indexed by CAN id (or by J1939 PGN). */
import { pgnOf } from "../j1939.js";
import { type CompiledMessage, type CompileOptions, compileMessage } from "./compile.js";
import type { DbcMessage } from "./model.js";

export class CompiledDatabase {
  /** Standard ids index an array: one bounds check instead of a hash lookup per frame. */
  private readonly standard: (CompiledMessage | undefined)[] = new Array(0x800).fill(undefined);
  private readonly extended = new Map<number, CompiledMessage>();
  private readonly byPgn = new Map<number, CompiledMessage>();
  readonly messages: CompiledMessage[] = [];
  /** The most signals any one message decodes: the size of the result arrays. */
  readonly maxSignals: number;

  constructor(messages: DbcMessage[], options: CompileOptions = {}) {
    let maxSignals = 1;
    for (const message of messages) {
      const compiled = compileMessage(message, options);
      this.messages.push(compiled);
      maxSignals = Math.max(maxSignals, compiled.signals.length);
      if (message.extended) {
        this.extended.set(message.id, compiled);
        // J1939 DBCs carry priority and source address in the id; the PGN is what identifies it.
        if (!this.byPgn.has(pgnOf(message.id))) this.byPgn.set(pgnOf(message.id), compiled);
      } else this.standard[message.id] = compiled;
    }
    this.maxSignals = maxSignals;
  }

  lookup(id: number, extended: boolean): CompiledMessage | undefined {
    return extended ? this.extended.get(id) : this.standard[id];
  }

  lookupPgn(pgn: number): CompiledMessage | undefined {
    return this.byPgn.get(pgn);
  }

  byName(name: string): CompiledMessage | undefined {
    return this.messages.find((m) => m.message.name === name);
  }
}

/** Result arrays sized for a database, reused for every frame. */
export class DecodeScratch {
  readonly idx: Int32Array;
  readonly val: Float64Array;
  readonly raw: Float64Array;
  constructor(size: number) {
    this.idx = new Int32Array(size);
    this.val = new Float64Array(size);
    this.raw = new Float64Array(size);
  }
}
