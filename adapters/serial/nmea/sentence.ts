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
const STAR = 0x2a;
const COMMA = 0x2c;

/** Parses `line` (CR/LF and surrounding blanks allowed); null for an empty line. */
export function parseSentence(line: string, requireChecksum: boolean): ParsedSentence | null {
  // Fast path: a sentence that starts the line (almost always) needs no search for its start.
  const first = line.charCodeAt(0);
  const start = first === DOLLAR || first === BANG ? 0 : sentenceStart(line);
  if (start === -1) return line.trim() === "" ? null : { problem: "not_nmea" };
  let end = line.length;
  while (end > start && line.charCodeAt(end - 1) <= 0x20) end--;
  let bodyEnd = end;
  if (end - start > 3 && line.charCodeAt(end - 3) === STAR) bodyEnd = end - 3;
  else if (requireChecksum) return { problem: "missing_checksum" };
  // One pass computes the checksum and splits the fields: twice as fast as split() plus a loop.
  const fields: string[] = [];
  let sum = 0;
  let from = start + 1;
  for (let i = start + 1; i < bodyEnd; i++) {
    const c = line.charCodeAt(i);
    sum ^= c;
    if (c === COMMA) {
      fields.push(line.slice(from, i));
      from = i + 1;
    }
  }
  fields.push(line.slice(from, bodyEnd));
  if (bodyEnd !== end) {
    const expected = (hexValue(line.charCodeAt(end - 2)) << 4) | hexValue(line.charCodeAt(end - 1));
    if (expected !== sum) return { problem: "bad_checksum" };
  }
  const address = fields[0];
  if (!isAddress(address)) return { problem: "bad_address" };
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

function sentenceStart(line: string): number {
  const dollar = line.indexOf("$");
  const bang = line.indexOf("!");
  return bang !== -1 && (dollar === -1 || bang < dollar) ? bang : dollar;
}

/** 2 to 8 upper-case letters or digits. */
function isAddress(address: string): boolean {
  if (address.length < 2 || address.length > 8) return false;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** A hex digit's value; a large negative number for anything else, so a bad pair stays negative. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -256;
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
