/**
 * Decoders of the NMEA sentences the adapter understands, one small function each, keyed by the
 * sentence type (the talker does not matter: GPGGA, GNGGA and GLGGA decode alike). Field
 * positions are NMEA 0183 4.11 (older versions are prefixes of it). Units are SI-ish and fixed:
 * degrees, metres, m/s, °C, bar; knots and km/h are converted. Pure.
 */
import { coordinate, dateDdmmyy, eastWest, KNOTS_TO_MS, metres, num, snake, speedMs, timeOfDay, utcMidnight } from "./fields.js";

export type Tags = Record<string, string>;

/** Where a sentence decoder puts what it found; undefined values are dropped. */
export interface SentenceOutput {
  value(metric: string, value: number | undefined, tags?: Tags): void;
  text(metric: string, value: string | undefined, tags?: Tags): void;
  /** The UTC the sentence carries (ms since midnight), and its date (midnight UTC in ms) when it has one. */
  time(timeOfDayMs: number | undefined, dateMs?: number): void;
  /** Tags shared by every point with the same key (one object, not one per point). */
  tags(key: string, make: () => Tags): Tags;
}

export type SentenceDecoder = (f: string[], out: SentenceOutput, talker: string) => void;

const gga: SentenceDecoder = (f, out) => {
  const quality = num(f[6]);
  out.value("gga.fix_quality", quality);
  out.value("gga.satellites", num(f[7]));
  out.value("gga.hdop", num(f[8]));
  // The time of day is good without a fix (one satellite gives it); the position is not:
  // quality 0 is "no fix", and whatever position the receiver still prints is stale.
  out.time(timeOfDay(f[1]));
  if (quality === 0) return;
  out.value("gga.latitude", coordinate(f[2], f[3]));
  out.value("gga.longitude", coordinate(f[4], f[5]));
  out.value("gga.altitude", num(f[9]));
  out.value("gga.geoid_separation", num(f[11]));
  out.value("gga.dgps_age", num(f[13]));
};

const gns: SentenceDecoder = (f, out) => {
  const modes = f[6] ?? "";
  out.value("gns.satellites", num(f[7]));
  out.value("gns.hdop", num(f[8]));
  // One mode letter per constellation; all N means no fix.
  out.time(timeOfDay(f[1]));
  if (modes === "" || /^N+$/.test(modes)) return;
  out.value("gns.latitude", coordinate(f[2], f[3]));
  out.value("gns.longitude", coordinate(f[4], f[5]));
  out.value("gns.altitude", num(f[9]));
  out.value("gns.geoid_separation", num(f[10]));
  out.value("gns.dgps_age", num(f[11]));
};

const rmc: SentenceDecoder = (f, out) => {
  const valid = f[2] === "A";
  out.value("rmc.valid", valid ? 1 : 0);
  // A receiver without a fix may print its RTC's date and time (1980, 2080…): as gpsd, only a
  // valid RMC gives the time. (GGA and GLL without a fix do: they carry no date.)
  if (!valid) return;
  out.time(timeOfDay(f[1]), dateDdmmyy(f[9]));
  out.value("rmc.latitude", coordinate(f[3], f[4]));
  out.value("rmc.longitude", coordinate(f[5], f[6]));
  out.value("rmc.speed", speedMs(num(f[7]), "N"));
  out.value("rmc.course", num(f[8]));
  out.value("rmc.magnetic_variation", eastWest(num(f[10]), f[11]));
};

const gll: SentenceDecoder = (f, out) => {
  const valid = f[6] === "A" || (f[6] === undefined && f[1] !== "");
  out.value("gll.valid", valid ? 1 : 0);
  out.time(timeOfDay(f[5]));
  if (!valid) return;
  out.value("gll.latitude", coordinate(f[1], f[2]));
  out.value("gll.longitude", coordinate(f[3], f[4]));
};

const vtg: SentenceDecoder = (f, out) => {
  if (f[9] === "N") return; // mode "not valid"
  // NMEA 2.3+ tags each field with its unit letter; older receivers send the four values bare.
  const tagged = f[2] === "T" || f[4] === "M" || f[6] === "N";
  const [trueCourse, magnetic, knots, kmh] = tagged ? [f[1], f[3], f[5], f[7]] : [f[1], f[2], f[3], f[4]];
  out.value("vtg.course", num(trueCourse));
  out.value("vtg.course_magnetic", num(magnetic));
  out.value("vtg.speed", speedMs(num(knots), "N") ?? speedMs(num(kmh), "K"));
};

const gsa: SentenceDecoder = (f, out, talker) => {
  const system = f[18];
  const tags = out.tags(`gsa${talker}${system ?? ""}`, (): Tags => (system ? { talker, system_id: system } : { talker }));
  out.value("gsa.fix_type", num(f[2]), tags);
  let used = 0;
  for (let i = 3; i <= 14; i++) if (f[i]) used++;
  out.value("gsa.satellites_used", used, tags);
  out.value("gsa.pdop", num(f[15]), tags);
  out.value("gsa.hdop", num(f[16]), tags);
  out.value("gsa.vdop", num(f[17]), tags);
};

const gsv: SentenceDecoder = (f, out, talker) => {
  // The count repeats in every message of a group: sent once, with the first.
  if (f[2] === "1")
    out.value(
      "gsv.satellites_in_view",
      num(f[3]),
      out.tags(`gsv${talker}`, () => ({ talker })),
    );
  const blocks = Math.floor((f.length - 4) / 4);
  for (let b = 0; b < blocks; b++) {
    const i = 4 + b * 4;
    const prn = f[i];
    if (!prn) continue;
    const tags = out.tags(`gsv${talker}.${prn}`, () => ({ talker, prn }));
    out.value("gsv.elevation", num(f[i + 1]), tags);
    out.value("gsv.azimuth", num(f[i + 2]), tags);
    out.value("gsv.snr", num(f[i + 3]), tags);
  }
};

const gst: SentenceDecoder = (f, out) => {
  out.time(timeOfDay(f[1]));
  out.value("gst.rms", num(f[2]));
  out.value("gst.std_dev_major", num(f[3]));
  out.value("gst.std_dev_minor", num(f[4]));
  out.value("gst.orientation", num(f[5]));
  out.value("gst.std_dev_latitude", num(f[6]));
  out.value("gst.std_dev_longitude", num(f[7]));
  out.value("gst.std_dev_altitude", num(f[8]));
};

const zda: SentenceDecoder = (f, out) => {
  const tod = timeOfDay(f[1]);
  const day = num(f[2]);
  const month = num(f[3]);
  const year = num(f[4]);
  const date = day !== undefined && month !== undefined && year !== undefined ? utcMidnight(year, month, day) : undefined;
  out.time(tod, date);
  if (tod !== undefined && date !== undefined) out.value("zda.unix_time", (date + tod) / 1000);
  const zoneHours = num(f[5]);
  const zoneMinutes = num(f[6]) ?? 0;
  // Minutes carry the sign of the hours field (-08,30 is -8 h 30 min), read as local time minus UTC,
  // as pynmea2 and most receivers' manuals do.
  if (zoneHours !== undefined) out.value("zda.local_zone_offset", zoneHours * 60 + (f[5]?.startsWith("-") ? -zoneMinutes : zoneMinutes));
};

const hdt: SentenceDecoder = (f, out) => out.value("hdt.heading", num(f[1]));
const hdm: SentenceDecoder = (f, out) => out.value("hdm.heading", num(f[1]));

const hdg: SentenceDecoder = (f, out) => {
  out.value("hdg.heading", num(f[1]));
  out.value("hdg.deviation", eastWest(num(f[2]), f[3]));
  out.value("hdg.variation", eastWest(num(f[4]), f[5]));
};

const ths: SentenceDecoder = (f, out) => {
  if (f[2] === "V") return;
  out.value("ths.heading", num(f[1]));
};

const rot: SentenceDecoder = (f, out) => {
  if (f[2] !== "A") return;
  out.value("rot.rate", num(f[1]));
};

const mwv: SentenceDecoder = (f, out) => {
  if (f[5] !== undefined && f[5] !== "A") return;
  const tags = out.tags(`mwv${f[2]}`, () => ({ reference: f[2] === "T" ? "true" : "relative" }));
  out.value("mwv.wind_angle", num(f[1]), tags);
  // MWV uses S for statute miles per hour, besides N, K and M.
  const speed = num(f[3]);
  out.value("mwv.wind_speed", f[4] === "S" && speed !== undefined ? speed * 0.44704 : speedMs(speed, f[4]), tags);
};

const xdr: SentenceDecoder = (f, out) => {
  for (let i = 1; i + 1 < f.length; i += 4) {
    const [type, value, unit, id] = [f[i], f[i + 1], f[i + 2], f[i + 3]];
    const name = snake(id ?? "") || snake(type ?? "");
    if (!name) continue;
    out.value(
      `xdr.${name}`,
      num(value),
      out.tags(`xdr${type}${unit}`, () => ({ type: type ?? "", unit: unit ?? "" })),
    );
  }
};

const temperature =
  (metric: string): SentenceDecoder =>
  (f, out) => {
    if (f[2] === "C" || f[2] === "") out.value(metric, num(f[1]));
  };

const hev: SentenceDecoder = (f, out) => out.value("hev.heave", num(f[1]));

const mmb: SentenceDecoder = (f, out) => {
  const inches = num(f[1]);
  out.value("mmb.pressure", num(f[3]) ?? (inches === undefined ? undefined : inches * 0.0338639));
};

const dbt: SentenceDecoder = (f, out) => {
  out.value("dbt.depth", metres(num(f[3]), "M") ?? metres(num(f[1]), "f") ?? metres(num(f[5]), "F"));
};

const dpt: SentenceDecoder = (f, out) => {
  out.value("dpt.depth", num(f[1]));
  out.value("dpt.offset", num(f[2]));
  out.value("dpt.max_range", num(f[3]));
};

const vpw: SentenceDecoder = (f, out) => out.value("vpw.speed", speedMs(num(f[1]), "N") ?? num(f[3]));

const vbw: SentenceDecoder = (f, out) => {
  if (f[3] === "A") {
    out.value("vbw.water_speed_longitudinal", knots(f[1]));
    out.value("vbw.water_speed_transverse", knots(f[2]));
  }
  if (f[6] === "A") {
    out.value("vbw.ground_speed_longitudinal", knots(f[4]));
    out.value("vbw.ground_speed_transverse", knots(f[5]));
  }
};

const vhw: SentenceDecoder = (f, out) => {
  out.value("vhw.heading", num(f[1]));
  out.value("vhw.heading_magnetic", num(f[3]));
  out.value("vhw.speed", speedMs(num(f[5]), "N") ?? speedMs(num(f[7]), "K"));
};

const txt: SentenceDecoder = (f, out) => out.text("txt.text", f[4] || undefined);

function knots(field: string | undefined): number | undefined {
  const value = num(field);
  return value === undefined ? undefined : value * KNOTS_TO_MS;
}

export const SENTENCES: Readonly<Record<string, SentenceDecoder>> = {
  GGA: gga,
  GNS: gns,
  RMC: rmc,
  GLL: gll,
  VTG: vtg,
  GSA: gsa,
  GSV: gsv,
  GST: gst,
  ZDA: zda,
  HDT: hdt,
  HDM: hdm,
  HDG: hdg,
  THS: ths,
  ROT: rot,
  MWV: mwv,
  XDR: xdr,
  MTA: temperature("mta.temperature"),
  MTW: temperature("mtw.temperature"),
  HEV: hev,
  MMB: mmb,
  DBT: dbt,
  DPT: dpt,
  VPW: vpw,
  VBW: vbw,
  VHW: vhw,
  TXT: txt,
};
