/**
 * The `nmea` format: one sentence per frame → points named `<sentence>.<field>`, optionally
 * stamped with the receiver's UTC (`time_source: gps`). Pure apart from the counters it bumps.
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import { type Count, type FrameDecoder, frameText } from "../formats/format.js";
import { parseSentence, type SentenceProblem } from "./sentence.js";
import { SENTENCES, type SentenceOutput, type Tags } from "./sentences.js";

export interface NmeaSettings {
  requireChecksum: boolean;
  proprietary: "count" | "event";
  timeSource: "bridge" | "gps";
}

const DAY_MS = 86_400_000;
const MAX_CACHED_TAGS = 4096;
const HALF_DAY_MS = DAY_MS / 2;

const PROBLEM_COUNTERS: Record<SentenceProblem, string> = {
  not_nmea: "not_nmea_lines",
  bad_checksum: "bad_checksums",
  missing_checksum: "missing_checksums",
  bad_address: "bad_addresses",
};

export class NmeaDecoder implements FrameDecoder, SentenceOutput {
  private target: PointInput[] = [];
  private readonly tagCache = new Map<string, Tags>();
  /** Midnight (UTC, ms) of the receiver's current date, from RMC or ZDA. */
  private dateMs: number | undefined;
  private lastTimeOfDay: number | undefined;
  /** The UTC of the latest timed sentence, given to the untimed ones that follow it in the same fix. */
  private gpsTime: number | undefined;

  constructor(
    private readonly settings: NmeaSettings,
    private readonly count: Count,
  ) {}

  decode(frame: Buffer, out: PointInput[]): void {
    this.decodeText(frameText(frame), out);
  }

  /** One sentence; trailing CR/LF and blanks are allowed. */
  decodeText(line: string, out: PointInput[]): void {
    const parsed = parseSentence(line, this.settings.requireChecksum);
    if (parsed === null) return;
    if ("problem" in parsed) {
      this.count(PROBLEM_COUNTERS[parsed.problem]);
      return;
    }
    if (parsed.proprietary) {
      this.count("proprietary_sentences");
      if (this.settings.proprietary === "event")
        this.stamp(out, out.push({ metric: `proprietary.${parsed.type.toLowerCase()}`, value: parsed.text }) - 1);
      return;
    }
    const decoder = parsed.encapsulated ? undefined : SENTENCES[parsed.type];
    if (!decoder) {
      this.count("unsupported_sentences");
      return;
    }
    const first = out.length;
    this.target = out;
    decoder(parsed.fields, this, parsed.talker);
    this.stamp(out, first);
  }

  /** The receiver's UTC of the latest timed sentence, once a date is known. */
  get lastGpsTime(): number | undefined {
    return this.gpsTime;
  }

  /** Time of day of the latest timed sentence: what paces a replay. */
  captureTimeMs(): number | undefined {
    return this.lastTimeOfDay;
  }

  value(metric: string, value: number | undefined, tags?: Tags): void {
    if (value === undefined) return;
    this.target.push(tags ? { metric, value, tags } : { metric, value });
  }

  text(metric: string, value: string | undefined, tags?: Tags): void {
    if (value === undefined) return;
    this.target.push(tags ? { metric, value, tags } : { metric, value });
  }

  tags(key: string, make: () => Tags): Tags {
    let tags = this.tagCache.get(key);
    if (!tags) {
      tags = Object.freeze(make());
      // The keys come from the wire (PRNs, transducer types): a stream of nonsense must not grow this forever.
      if (this.tagCache.size >= MAX_CACHED_TAGS) this.tagCache.clear();
      this.tagCache.set(key, tags);
    }
    return tags;
  }

  time(timeOfDayMs: number | undefined, dateMs?: number): void {
    if (timeOfDayMs === undefined) return;
    if (dateMs !== undefined) this.dateMs = dateMs;
    // A time-only sentence after midnight, before the next RMC or ZDA, belongs to the next day.
    else if (this.dateMs !== undefined && this.lastTimeOfDay !== undefined && timeOfDayMs < this.lastTimeOfDay - HALF_DAY_MS)
      this.dateMs += DAY_MS;
    this.lastTimeOfDay = timeOfDayMs;
    if (this.dateMs !== undefined) this.gpsTime = this.dateMs + timeOfDayMs;
  }

  private stamp(out: PointInput[], from: number): void {
    if (this.settings.timeSource !== "gps" || this.gpsTime === undefined) return;
    for (let i = from; i < out.length; i++) out[i].timestamp = this.gpsTime;
  }
}
