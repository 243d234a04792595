/**
 * One NMEA 0183 line → its talker, sentence type and fields, with the checksum checked. Pure.
 * Anything before the first `$` or `!` is ignored: after line noise (or in a log that prefixes
 * each sentence with its own text) the sentence still starts at its `$`.
 */

export interface Sentence {
  /** "GP", "GN", "II"…; "" for a proprietary sentence. */
  talker: string;
  /** "GGA", "RMC"…; for a proprietary sentence the whole address ("PGRME", "PUBX"). */
  type: string;
  proprietary: boolean;
  /** `!` sentences (AIS VDM/VDO) carry encapsulated binary payloads. */
  encapsulated: boolean;
  /** fields[0] is the address ("GPGGA"); the data fields follow. */
  fields: string[];
  /** The sentence as received, from its `$` to its checksum (the raw event of a proprietary one). */
  text: string;
}

export type SentenceProblem = "not_nmea" | "bad_checksum" | "missing_checksum" | "bad_address";

export type ParsedSentence = Sentence | { problem: SentenceProblem };

const DOLLAR = 0x24;
const BANG = 0x21;

/** Parses `line` (CR/LF and surrounding blanks allowed); null for an empty line. */
export function parseSentence(line: string, requireChecksum: boolean): ParsedSentence | null {
  let start = line.indexOf("$");
  const bang = line.indexOf("!");
  if (bang !== -1 && (start === -1 || bang < start)) start = bang;
  if (start === -1) return line.trim() === "" ? null : { problem: "not_nmea" };
  let end = line.length;
  while (end > start && line.charCodeAt(end - 1) <= 0x20) end--;
  const star = line.lastIndexOf("*", end);
  let body: string;
  if (star > start && end - star === 3) {
    const expected = Number.parseInt(line.slice(star + 1, end), 16);
    if (Number.isNaN(expected) || xorChecksum(line, start + 1, star) !== expected) return { problem: "bad_checksum" };
    body = line.slice(start + 1, star);
  } else {
    if (requireChecksum) return { problem: "missing_checksum" };
    body = line.slice(start + 1, end);
  }
  const fields = body.split(",");
  const address = fields[0];
  if (!/^[A-Z0-9]{2,8}$/.test(address)) return { problem: "bad_address" };
  const proprietary = address.charCodeAt(0) === 0x50; // "P": reserved for manufacturers' sentences
  return {
    talker: proprietary ? "" : address.slice(0, 2),
    type: proprietary ? address : address.slice(2),
    proprietary,
    encapsulated: line.charCodeAt(start) === BANG,
    fields,
    text: line.slice(start, end),
  };
}

/** XOR of the characters in [from, to). */
export function xorChecksum(text: string, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum ^= text.charCodeAt(i);
  return sum & 0xff;
}

/** Appends `*HH` to a sentence written without one (for tests, the benchmark and poll requests). */
export function withChecksum(sentence: string): string {
  const from = sentence.charCodeAt(0) === DOLLAR || sentence.charCodeAt(0) === BANG ? 1 : 0;
  return `${sentence}*${xorChecksum(sentence, from, sentence.length).toString(16).toUpperCase().padStart(2, "0")}`;
}
