import { describe, expect, it } from "vitest";
import { NmeaDecoder, type NmeaSettings } from "../../../adapters/serial/nmea/decoder.js";
import { parseSentence, withChecksum } from "../../../adapters/serial/nmea/sentence.js";
import type { PointInput } from "../../../src/pipeline/point.js";

function nmea(settings: Partial<NmeaSettings> = {}) {
  const counters = new Map<string, number>();
  const decoder = new NmeaDecoder({ requireChecksum: true, proprietary: "count", timeSource: "bridge", ...settings }, (name, n = 1) =>
    counters.set(name, (counters.get(name) ?? 0) + n),
  );
  return {
    counters,
    run(...lines: string[]) {
      const out: PointInput[] = [];
      for (const line of lines) decoder.decodeText(line, out);
      return out;
    },
  };
}

describe("NMEA sentences", () => {
  it("verifies checksums and accepts unchecked sentences only when allowed", () => {
    expect(parseSentence("$GPHDT,123.4,T*31\r\n", true)).toMatchObject({ talker: "GP", type: "HDT", fields: ["GPHDT", "123.4", "T"] });
    expect(parseSentence("$GPHDT,123.4,T*32", true)).toEqual({ problem: "bad_checksum" });
    expect(parseSentence("$GPHDT,123.4,T", true)).toEqual({ problem: "missing_checksum" });
    expect(parseSentence("$GPHDT,123.4,T", false)).toMatchObject({ type: "HDT" });
    expect(parseSentence("noise$GPHDT,123.4,T*31", true)).toMatchObject({ type: "HDT" });
    expect(parseSentence("hello", true)).toEqual({ problem: "not_nmea" });
    expect(parseSentence("   \r", true)).toBeNull();
    expect(withChecksum("$GPHDT,123.4,T")).toBe("$GPHDT,123.4,T*31");
  });

  it("handles every talker alike", () => {
    const { run } = nmea();
    const lines = ["GP", "GN", "GL", "GA", "GB", "BD", "GQ", "II"].map((talker) => withChecksum(`$${talker}HDT,10.5,T`));
    expect(run(...lines).map((p) => p.value)).toEqual(Array(8).fill(10.5));
  });

  it("sends no value for empty fields and no position without a fix", () => {
    const { run } = nmea();
    expect(run(withChecksum("$GPGGA,120000.00,,,,,0,00,99.99,,,,,,")).map((p) => [p.metric, p.value])).toEqual([
      ["gga.fix_quality", 0],
      ["gga.satellites", 0],
      ["gga.hdop", 99.99],
    ]);
    expect(run(withChecksum("$GPRMC,120000.00,V,,,,,,,010125,,,N")).map((p) => [p.metric, p.value])).toEqual([["rmc.valid", 0]]);
  });

  it("counts proprietary sentences, or sends them as raw events", () => {
    const counted = nmea();
    expect(counted.run("$PGRMM,WGS 84*06")).toEqual([]);
    expect(counted.counters.get("proprietary_sentences")).toBe(1);
    expect(nmea({ proprietary: "event" }).run("$PGRMM,WGS 84*06")).toEqual([{ metric: "proprietary.pgrmm", value: "$PGRMM,WGS 84*06" }]);
  });

  it("tags satellites by talker and PRN, and GSA by talker and system", () => {
    const { run } = nmea();
    const points = run(
      withChecksum("$GPGSV,3,1,12,18,50,135,50,19,15,291,46,21,59,069,51,22,30,169,49"),
      withChecksum("$GNGSA,A,3,65,66,,,,,,,,,,,1.2,0.8,0.9,2"),
    );
    expect(points[0]).toEqual({ metric: "gsv.satellites_in_view", value: 12, tags: { talker: "GP" } });
    expect(points[1]).toEqual({ metric: "gsv.elevation", value: 50, tags: { talker: "GP", prn: "18" } });
    expect(points.find((p) => p.metric === "gsa.satellites_used")).toEqual({
      metric: "gsa.satellites_used",
      value: 2,
      tags: { talker: "GN", system_id: "2" },
    });
  });

  it("with time_source gps: stamps from RMC's date and time, carries the date past midnight, and stamps untimed sentences with the fix's time", () => {
    const { run } = nmea({ timeSource: "gps" });
    const points = run(
      withChecksum("$GPGGA,235959.50,5213.1439,N,02100.6511,E,1,10,0.9,137.2,M,36.2,M,,"),
      withChecksum("$GPRMC,235959.50,A,5213.1439,N,02100.6511,E,000.0,226.0,311224,004.2,E,D"),
      withChecksum("$GPHDT,10.0,T"),
      withChecksum("$GPGGA,000000.50,5213.1439,N,02100.6511,E,1,10,0.9,137.2,M,36.2,M,,"),
    );
    // Before any date: the bridge's clock.
    expect(points.find((p) => p.metric === "gga.latitude")?.timestamp).toBeUndefined();
    expect(points.find((p) => p.metric === "rmc.latitude")?.timestamp).toBe(Date.parse("2024-12-31T23:59:59.500Z"));
    expect(points.find((p) => p.metric === "hdt.heading")?.timestamp).toBe(Date.parse("2024-12-31T23:59:59.500Z"));
    expect(points.filter((p) => p.metric === "gga.latitude")[1].timestamp).toBe(Date.parse("2025-01-01T00:00:00.500Z"));
  });

  it("converts units: knots to m/s, feet to metres, west and south negative", () => {
    const { run } = nmea();
    const value = (line: string, metric: string) => run(withChecksum(line)).find((p) => p.metric === metric)?.value;
    expect(value("$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K", "vtg.speed")).toBeCloseTo((5.5 * 1852) / 3600, 12);
    expect(value("$GPVTG,054.7,034.4,005.5,010.2", "vtg.course_magnetic")).toBe(34.4);
    expect(value("$SDDBT,32.8,f,,M,,F", "dbt.depth")).toBeCloseTo(32.8 * 0.3048, 12);
    expect(value("$SDDPT,10.2,0.5,100", "dpt.depth")).toBe(10.2);
    expect(value("$GPGLL,4916.45,S,12311.12,W,225444,A", "gll.latitude")).toBeCloseTo(-(49 + 16.45 / 60), 12);
    expect(value("$WIMWV,90.0,T,10.0,M,A", "mwv.wind_speed")).toBe(10);
  });
});
