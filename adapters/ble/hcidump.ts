/**
 * BlueZ `hcidump` text captures → LE advertising reports, so a site can record advertisements
 * with standard tools (`hcidump -R` or `hcidump -X`, optionally `-t`) and commission the config
 * offline. Pure: text in, reports out.
 *
 * -R prints each HCI packet as hex after `> ` (received) with continuation lines indented; the
 * packet starts with its type (04 = event). -X prints a header line
 * (`> HCI Event: LE Meta Event (0x3e) plen 43`) and the parameters as offset-prefixed hex rows.
 * With -t a `YYYY-MM-DD HH:MM:SS.ffffff` timestamp precedes the direction mark.
 */
import { addressFromHci } from "./advertisement.js";

export interface AdvertisingReport {
  address: string;
  /** 0 ADV_IND, 1 ADV_DIRECT_IND, 2 ADV_SCAN_IND, 3 ADV_NONCONN_IND, 4 SCAN_RSP. */
  eventType: number;
  data: Buffer;
  rssi: number;
  /** Capture time (ms since the epoch) when the capture has timestamps (-t). */
  timestampMs?: number;
}

export interface HcidumpPacket {
  bytes: Buffer;
  timestampMs?: number;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s+/;
const X_HEADER = /^HCI Event: .*\(0x([0-9a-f]{2})\) plen (\d+)/i;

/** Splits a capture into HCI packets (received events only; commands sent with `<` are skipped). */
export function parseHcidumpPackets(text: string): HcidumpPacket[] {
  const packets: HcidumpPacket[] = [];
  let current: { hex: string[]; timestampMs?: number; received: boolean; xHeader?: Buffer } | undefined;
  const finish = () => {
    if (current?.received) {
      const body = Buffer.from(current.hex.join(""), "hex");
      packets.push({ bytes: current.xHeader ? Buffer.concat([current.xHeader, body]) : body, timestampMs: current.timestampMs });
    }
    current = undefined;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine;
    let timestampMs: number | undefined;
    const stamp = TIMESTAMP.exec(line);
    if (stamp) {
      timestampMs = Date.parse(`${stamp[1].replace(" ", "T")}Z`);
      line = line.slice(stamp[0].length);
    }
    if (line.startsWith("> ") || line.startsWith("< ")) {
      finish();
      const rest = line.slice(2).trim();
      const header = X_HEADER.exec(rest);
      current = { hex: [], timestampMs, received: line.startsWith(">") };
      if (header) current.xHeader = Buffer.from([0x04, Number.parseInt(header[1], 16), Number(header[2])]);
      else current.hex.push(hexOf(rest));
      continue;
    }
    if (!current || !/^\s/.test(line)) continue;
    const trimmed = line.trim();
    // -X rows: "0000: 02 01 00 …  ascii"; -R continuation rows: hex only.
    const row = /^[0-9a-f]{4}:\s+(.*)$/i.exec(trimmed);
    current.hex.push(hexOf(row ? row[1].slice(0, 49) : trimmed));
  }
  finish();
  return packets;
}

function hexOf(text: string): string {
  return (text.match(/\b[0-9a-fA-F]{2}\b/g) ?? []).join("");
}

/**
 * LE Advertising Report events (HCI event 0x3E, subevent 0x02) → reports. Several reports in one
 * event are laid out field by field (Core spec, Vol 4, Part E, 7.7.65.2). Anything else, or a
 * truncated event, gives no report; `malformed` counts the latter.
 */
export function advertisingReports(packet: HcidumpPacket): { reports: AdvertisingReport[]; malformed: boolean } {
  const b = packet.bytes;
  if (b.length < 5 || b[0] !== 0x04 || b[1] !== 0x3e || b[3] !== 0x02) return { reports: [], malformed: false };
  const count = b[4];
  let offset = 5;
  const need = (n: number) => offset + n <= b.length;
  if (!need(count * 9)) return { reports: [], malformed: true };
  const eventTypes = [...b.subarray(offset, offset + count)];
  offset += count * 2; // event types, then address types
  const addresses = Array.from({ length: count }, (_, i) => addressFromHci(b.subarray(offset + i * 6, offset + i * 6 + 6)));
  offset += count * 6;
  const lengths = [...b.subarray(offset, offset + count)];
  offset += count;
  const datas: Buffer[] = [];
  for (const length of lengths) {
    if (!need(length)) return { reports: [], malformed: true };
    datas.push(Buffer.from(b.subarray(offset, offset + length)));
    offset += length;
  }
  if (!need(count)) return { reports: [], malformed: true };
  const reports = datas.map((data, i) => ({
    address: addresses[i],
    eventType: eventTypes[i],
    data,
    rssi: b.readInt8(offset + i),
    timestampMs: packet.timestampMs,
  }));
  return { reports, malformed: false };
}
