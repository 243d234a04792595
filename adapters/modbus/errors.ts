/** What can go wrong with one request, and how modbus-serial's errors map onto it. */

/** The device answered with a Modbus exception (illegal address, busy…). */
export class ModbusExceptionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  /** "2 illegal data address": the code and what the specification calls it. */
  get described(): string {
    return `${this.code} ${EXCEPTION_NAMES[this.code] ?? "unknown exception"}`;
  }
}
/** No answer within the timeout, after the retries. */
export class ModbusTimeoutError extends Error {}
/** An answer that does not parse (CRC error, wrong length, wrong unit): retried like a timeout. */
export class BadAnswerError extends ModbusTimeoutError {}
/** The link is not open (dropped, or never came up). */
export class LinkDownError extends Error {}

export const EXCEPTION_NAMES: Record<number, string> = {
  1: "illegal function",
  2: "illegal data address",
  3: "illegal data value",
  4: "server device failure",
  5: "acknowledge",
  6: "server device busy",
  8: "memory parity error",
  10: "gateway path unavailable",
  11: "gateway target device failed to respond",
};

export function classify(error: unknown): Error {
  const e = error as { modbusCode?: number; errno?: string; message?: string; name?: string };
  if (typeof e?.modbusCode === "number") {
    const name = EXCEPTION_NAMES[e.modbusCode] ?? "unknown exception";
    return new ModbusExceptionError(e.modbusCode, `exception ${e.modbusCode} (${name})`);
  }
  if (e?.errno === "ETIMEDOUT" || e?.name === "DeadlineError") return new ModbusTimeoutError("timed out");
  const message = messageOf(error);
  if (/CRC|length|Unexpected data|unexpected|Enron/i.test(message) && !/Port Not Open/i.test(message))
    return new BadAnswerError(`bad answer: ${message}`);
  return new LinkDownError(message);
}

export function messageOf(error: unknown): string {
  const e = error as { message?: string; errno?: string; code?: string };
  return e?.message || e?.errno || e?.code || String(error);
}
