/** The real hcidump -R capture (ruuvitag-sensor's test data, 303 LE advertising reports) through the parser. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAdStructures } from "../../../adapters/ble/advertisement.js";
import { decodeRuuvi, RUUVI_COMPANY_ID } from "../../../adapters/ble/decoders/ruuvi.js";
import { advertisingReports, parseHcidumpPackets } from "../../../adapters/ble/hcidump.js";

const capture = readFileSync(new URL("../../fixtures/ble/hcidump-3.x.txt", import.meta.url), "utf8");

describe("hcidump -R capture", () => {
  const reports = parseHcidumpPackets(capture).flatMap((packet) => advertisingReports(packet).reports);

  it("finds every LE advertising report with its address and RSSI", () => {
    expect(reports).toHaveLength(303);
    expect(reports[0]).toMatchObject({ address: "e7:e7:3e:12:73:2c", eventType: 0, rssi: -59 });
    const companies = new Map<number, number>();
    for (const report of reports) {
      for (const company of parseAdStructures(report.address, report.data).manufacturerData.keys())
        companies.set(company, (companies.get(company) ?? 0) + 1);
    }
    // SOURCES.md: 106 × 0x05A7, 95 × 0x0075, 11 × 0x0499 (Ruuvi).
    expect(Object.fromEntries(companies)).toEqual({ [0x05a7]: 106, [0x0075]: 95, [RUUVI_COMPANY_ID]: 11 });
  });

  it("decodes the RuuviTag's RAWv2 reports from ce:d6:05:f5:17:aa", () => {
    const ruuvi = reports
      .map((report) => parseAdStructures(report.address, report.data, report.rssi))
      .filter((ad) => ad.manufacturerData.has(RUUVI_COMPANY_ID));
    expect(new Set(ruuvi.map((ad) => ad.address))).toEqual(new Set(["ce:d6:05:f5:17:aa"]));
    for (const ad of ruuvi) {
      const result = decodeRuuvi(ad.manufacturerData.get(RUUVI_COMPANY_ID) as Buffer);
      expect(result.problem).toBeUndefined();
      const temperature = result.readings.find((r) => r.quantity === "temperature")?.value as number;
      expect(temperature).toBeGreaterThan(-40);
      expect(temperature).toBeLessThan(60);
    }
  });

  it("reads hcidump -X output (with -t timestamps) into the same packets", () => {
    // The capture's first report written as `hcidump -t -X` prints it: a header line, then the
    // event parameters as offset-prefixed hex rows with an ASCII column.
    const x = [
      "2024-05-01 10:00:00.250000 > HCI Event: LE Meta Event (0x3e) plen 43",
      "  0000: 02 01 00 01 2c 73 12 3e  e7 e7 1f 02 01 06 03 03  ....,s.>........",
      "  0010: 07 fe 10 ff a7 05 05 10  01 00 00 00 00 00 00 01  ................",
      "  0020: 19 00 ca 03 19 00 00 02  0a 00 c5                 ...........",
    ].join("\n");
    const [packet] = parseHcidumpPackets(x);
    expect(packet.timestampMs).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 250));
    expect(advertisingReports(packet).reports[0]).toEqual({ ...reports[0], timestampMs: packet.timestampMs });
  });

  it("counts a truncated report as malformed instead of reading past its end", () => {
    const truncated = { bytes: Buffer.from("043e2b020100012c73123ee7e71f0201", "hex") };
    expect(advertisingReports(truncated)).toEqual({ reports: [], malformed: true });
  });
});
