/**
 * Reads a MAVLink message definition XML (mavlink/mavlink message_definitions/v1.0): its messages
 * with fields in wire order and CRC_EXTRA, and its enums. Used by gen-definitions.ts only, never
 * at run time. Regular expressions suffice: the files are machine-checked XML whose attributes
 * never contain `>` and whose element names are fixed by mavschema.xsd.
 */
import { TYPE_SIZES } from "../field-types.js";
import { crc16 } from "../framing.js";

export interface XmlField {
  /** Element type without the array suffix, as the XML spells it (`uint8_t_mavlink_version` included). */
  type: string;
  name: string;
  /** Array length; 0 for a scalar. */
  length: number;
  units: string;
  /** The `invalid` attribute: the value that means "not available". */
  invalid: string;
  extension: boolean;
}

export interface XmlMessage {
  id: number;
  name: string;
  crcExtra: number;
  /** Wire order: base fields by element size, largest first (stable), then extensions in XML order. */
  fields: XmlField[];
}

export interface XmlDefinitions {
  includes: string[];
  messages: XmlMessage[];
  /** Enum name → entries (value, entry name) in XML order. */
  enums: Map<string, { value: number; name: string }[]>;
}

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
}

export function readDefinitions(xml: string): XmlDefinitions {
  const text = xml.replace(/<!--[\s\S]*?-->/g, "");
  const includes = [...text.matchAll(/<include>\s*([^<\s]+)\s*<\/include>/g)].map((match) => match[1]);
  const messages: XmlMessage[] = [];
  for (const message of text.matchAll(/<message\s([^>]*)>([\s\S]*?)<\/message>/g)) {
    const id = Number(attribute(message[1], "id"));
    const name = attribute(message[1], "name");
    if (!name || !Number.isInteger(id)) throw new Error(`a <message> without id or name: ${message[1]}`);
    const xmlOrder: XmlField[] = [];
    let extension = false;
    for (const element of message[2].matchAll(/<extensions\s*\/>|<field\s([^>]*)>/g)) {
      if (element[1] === undefined) {
        extension = true;
        continue;
      }
      const declared = attribute(element[1], "type") ?? "";
      const array = /^([a-z0-9_]+)\[(\d+)\]$/.exec(declared);
      const type = array ? array[1] : declared;
      const fieldName = attribute(element[1], "name");
      if (!fieldName || TYPE_SIZES[type] === undefined)
        throw new Error(`${name}: a field of unknown type or without a name: ${element[1]}`);
      xmlOrder.push({
        type,
        name: fieldName,
        length: array ? Number(array[2]) : 0,
        units: attribute(element[1], "units") ?? "",
        invalid: attribute(element[1], "invalid") ?? "",
        extension,
      });
    }
    const base = xmlOrder.filter((field) => !field.extension).sort((a, b) => TYPE_SIZES[b.type] - TYPE_SIZES[a.type]);
    const fields = [...base, ...xmlOrder.filter((field) => field.extension)];
    messages.push({ id, name, crcExtra: crcExtra(name, base), fields });
  }
  const enums = new Map<string, { value: number; name: string }[]>();
  for (const block of text.matchAll(/<enum\s([^>]*)>([\s\S]*?)<\/enum>/g)) {
    const enumName = attribute(block[1], "name");
    if (!enumName) continue;
    const entries: { value: number; name: string }[] = [];
    for (const entry of block[2].matchAll(/<entry\s([^>]*)>/g)) {
      const value = Number(attribute(entry[1], "value"));
      const entryName = attribute(entry[1], "name");
      if (!entryName || !Number.isInteger(value))
        throw new Error(`${enumName}: an <entry> without a name or an integer value: ${entry[1]}`);
      entries.push({ value, name: entryName });
    }
    enums.set(enumName, entries);
  }
  return { includes, messages, enums };
}

/**
 * CRC_EXTRA as mavgen computes it: the X.25 CRC of "NAME " and, per base field in wire order,
 * "type name " plus the array length as a byte; then its two bytes XORed.
 */
function crcExtra(name: string, base: XmlField[]): number {
  const parts = [Buffer.from(`${name} `)];
  for (const field of base) {
    const type = field.type === "uint8_t_mavlink_version" ? "uint8_t" : field.type;
    parts.push(Buffer.from(`${type} ${field.name} `));
    if (field.length) parts.push(Buffer.from([field.length]));
  }
  const bytes = Buffer.concat(parts);
  // crc16 folds in one final byte after the range: give it the last byte of the text.
  const crc = crc16(bytes, 0, bytes.length - 1, bytes[bytes.length - 1]);
  return (crc & 0xff) ^ (crc >> 8);
}
