/** What a DBC file says, after parsing: messages, their signals, value tables and comments. */

export type SignalValueType = "integer" | "float32" | "float64";

export interface DbcSignal {
  name: string;
  /** DBC start bit: the LSB for Intel (@1), the MSB in "sawtooth" numbering for Motorola (@0). */
  startBit: number;
  length: number;
  littleEndian: boolean;
  signed: boolean;
  factor: number;
  offset: number;
  minimum: number;
  maximum: number;
  unit: string;
  receivers: string[];
  valueType: SignalValueType;
  /** `M` (or `mNM`): this signal selects which multiplexed signals the frame carries. */
  isMultiplexer: boolean;
  /**
   * The switch this signal depends on and the raw switch values (inclusive ranges) for which it is
   * present: from `mN` (the message's only `M`) or from SG_MUL_VAL_ (extended multiplexing).
   */
  multiplexer?: { signal: string; ranges: [number, number][] };
  /** VAL_ table: raw value → label. */
  choices?: Map<number, string>;
  comment?: string;
  line: number;
  col: number;
}

export interface DbcMessage {
  /** 11- or 29-bit identifier (bit 31 of the DBC id removed). */
  id: number;
  extended: boolean;
  name: string;
  /** Declared length in bytes (up to 64 for CAN FD). */
  length: number;
  sender: string;
  signals: DbcSignal[];
  comment?: string;
  file: string;
  line: number;
  col: number;
}

export interface DbcDatabase {
  messages: DbcMessage[];
  version?: string;
  nodes: string[];
}

export interface DbcProblem {
  file: string;
  line: number;
  col: number;
  message: string;
  /** Errors stop the adapter from starting; warnings are logged and reported by `check`. */
  severity: "error" | "warning";
}

export function formatProblem(problem: DbcProblem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.severity}: ${problem.message}`;
}
