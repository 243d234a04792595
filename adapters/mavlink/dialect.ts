/**
 * Message definitions of a dialect, from message-definitions.ts (generated from the MAVLink XML by
 * tools/gen-definitions.ts). A message's fields are parsed from their compact form the first time
 * it is asked for: a vehicle sends a few dozen of the dialect's 300 messages.
 * Only reached through the dynamic import in index.ts.
 */
import { TYPE_SIZES } from "./field-types.js";
import { ardupilotmega, common, icarous, type MessageTable, minimal, standard, uAvionix } from "./message-definitions.js";

export type DialectName = "common" | "ardupilotmega";

export interface FieldDefinition {
  /** As the XML spells it, e.g. `relative_alt`, `zoomLevel`. */
  name: string;
  /** Element type, e.g. `int32_t`, `char`, `uint8_t_mavlink_version`. */
  type: string;
  /** Array length; 0 for a scalar. */
  length: number;
  /** Bytes from the start of the payload. */
  offset: number;
  /** Bytes of one element. */
  size: number;
  extension: boolean;
  /** The XML's units, "" when none. */
  units: string;
  /** The XML's "not available" marker, "" when none. */
  invalid: string;
}

export interface MessageDefinition {
  id: number;
  name: string;
  crcExtra: number;
  /** In wire order, extensions last. */
  fields: readonly FieldDefinition[];
}

/** The include chain of each dialect's XML (ardupilotmega → common → standard → minimal, plus its extras). */
const CHAINS: Record<DialectName, MessageTable[]> = {
  common: [minimal, standard, common],
  ardupilotmega: [minimal, standard, common, uAvionix, icarous, ardupilotmega],
};

export class Dialect {
  private readonly rows = new Map<number, MessageTable[number]>();
  private readonly parsed = new Map<number, MessageDefinition>();

  constructor(tables: MessageTable[]) {
    // A later file of the chain redefines an id of an earlier one.
    for (const table of tables) for (const [id, row] of Object.entries(table)) this.rows.set(Number(id), row);
  }

  /** CRC_EXTRA of a message id; undefined when the dialect does not define it. */
  crcExtra(id: number): number | undefined {
    return this.rows.get(id)?.[1];
  }

  message(id: number): MessageDefinition | undefined {
    let message = this.parsed.get(id);
    if (message) return message;
    const row = this.rows.get(id);
    if (!row) return undefined;
    message = { id, name: row[0], crcExtra: row[1], fields: parseFields(row[2], row[3]) };
    this.parsed.set(id, message);
    return message;
  }

  messageByName(name: string): MessageDefinition | undefined {
    for (const [id, row] of this.rows) if (row[0] === name) return this.message(id);
    return undefined;
  }

  /** Every message id, ascending. */
  ids(): number[] {
    return [...this.rows.keys()].sort((a, b) => a - b);
  }
}

/** Fields from "type[length] name units=… invalid=…", offsets from their order. */
function parseFields(base: readonly string[], extensions: readonly string[]): FieldDefinition[] {
  const fields: FieldDefinition[] = [];
  let offset = 0;
  for (const spec of [...base, ...extensions]) {
    const [declared, name, ...attributes] = spec.split(" ");
    const array = /^(\w+)\[(\d+)\]$/.exec(declared);
    const type = array ? array[1] : declared;
    const length = array ? Number(array[2]) : 0;
    const size = TYPE_SIZES[type] ?? 0;
    const attribute = (key: string) => attributes.find((part) => part.startsWith(`${key}=`))?.slice(key.length + 1) ?? "";
    fields.push({
      name,
      type,
      length,
      offset,
      size,
      extension: fields.length >= base.length,
      units: attribute("units"),
      invalid: attribute("invalid"),
    });
    offset += size * (length || 1);
  }
  return fields;
}

const dialects = new Map<DialectName, Dialect>();

export function dialect(name: DialectName): Dialect {
  let found = dialects.get(name);
  if (!found) {
    found = new Dialect(CHAINS[name]);
    dialects.set(name, found);
  }
  return found;
}
