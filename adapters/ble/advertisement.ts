/**
 * An LE advertisement as the decoders see it, and the parsing of its AD structures (Bluetooth Core
 * Supplement, part A): service data by 16-bit UUID, manufacturer data by company id, the local
 * name. Pure.
 */

export interface Advertisement {
  /** `aa:bb:cc:dd:ee:ff`, lower case. */
  address: string;
  rssi?: number;
  /** 16-bit service UUID in lower-case hex (`fcd2`) → the data after it. */
  serviceData: Map<string, Buffer>;
  /** Company id → the data after it. */
  manufacturerData: Map<number, Buffer>;
  localName?: string;
}

/** Parses AD structures; a truncated structure ends the parse (what came before it is kept). */
export function parseAdStructures(address: string, data: Uint8Array, rssi?: number): Advertisement {
  const advertisement: Advertisement = { address, rssi, serviceData: new Map(), manufacturerData: new Map() };
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset];
    if (length === 0 || offset + 1 + length > data.length) break;
    const type = data[offset + 1];
    const body = Buffer.from(data.subarray(offset + 2, offset + 1 + length));
    offset += 1 + length;
    switch (type) {
      case 0x08: // shortened local name
      case 0x09: // complete local name
        advertisement.localName = body.toString("utf8");
        break;
      case 0x16: // service data, 16-bit UUID (little-endian)
        if (body.length >= 2) advertisement.serviceData.set(body.readUInt16LE(0).toString(16).padStart(4, "0"), body.subarray(2));
        break;
      case 0xff: // manufacturer specific data, company id (little-endian)
        if (body.length >= 2) advertisement.manufacturerData.set(body.readUInt16LE(0), body.subarray(2));
        break;
    }
  }
  return advertisement;
}

/** `aa:bb:cc:dd:ee:ff` from the 6 address bytes of an HCI event (least significant byte first). */
export function addressFromHci(bytes: Uint8Array): string {
  return [...bytes]
    .reverse()
    .map((b) => b.toString(16).padStart(2, "0"))
    .join(":");
}

/** A normalised address for config and map keys: lower case, colons. */
export function normaliseAddress(address: string): string {
  const hex = address.replace(/[:-]/g, "").toLowerCase();
  return hex.match(/../g)?.join(":") ?? hex;
}
