/**
 * Link health per system id: frames and bytes per second, frames lost (gaps in each component's
 * sequence numbers) and CRC errors, reported as metrics once per interval. Pure: the caller
 * supplies the elapsed time.
 */
import type { PointInput } from "../../src/pipeline/point.js";
import type { RawFrame } from "./framing.js";

interface SystemCounters {
  frames: number;
  bytes: number;
  lost: number;
  crcErrors: number;
  /** compid → last sequence number. */
  lastSeq: Map<number, number>;
}

export class LinkHealth {
  private readonly systems = new Map<number, SystemCounters>();

  observe(frame: RawFrame): void {
    const system = this.system(frame.sysid);
    system.frames++;
    system.bytes += frame.bytes;
    const last = system.lastSeq.get(frame.compid);
    if (last !== undefined) system.lost += (frame.seq - last - 1) & 0xff;
    system.lastSeq.set(frame.compid, frame.seq);
  }

  /** A CRC error counts against a system only once that system has been heard: a corrupt header names no one reliably. */
  crcError(sysid: number | undefined): void {
    if (sysid === undefined) return;
    const system = this.systems.get(sysid);
    if (system) system.crcErrors++;
  }

  /** A new connection or a replay pass: sequence numbers start over. */
  resetSequences(): void {
    for (const system of this.systems.values()) system.lastSeq.clear();
  }

  /** Appends the interval's metrics for every system heard and starts a new interval. */
  report(elapsedMs: number, out: PointInput[]): void {
    if (elapsedMs <= 0) return;
    const perSecond = 1000 / elapsedMs;
    for (const [sysid, system] of this.systems) {
      const tags = { system_id: String(sysid) };
      const total = system.frames + system.lost;
      out.push(
        { metric: "link.frames_per_s", value: system.frames * perSecond, tags: { ...tags } },
        { metric: "link.bytes_per_s", value: system.bytes * perSecond, tags: { ...tags } },
        { metric: "link.lost_frames", value: system.lost, tags: { ...tags } },
        { metric: "link.loss_percent", value: total ? (100 * system.lost) / total : 0, tags: { ...tags } },
        { metric: "link.crc_errors", value: system.crcErrors, tags: { ...tags } },
      );
      system.frames = 0;
      system.bytes = 0;
      system.lost = 0;
      system.crcErrors = 0;
    }
  }

  private system(sysid: number): SystemCounters {
    let system = this.systems.get(sysid);
    if (!system) {
      system = { frames: 0, bytes: 0, lost: 0, crcErrors: 0, lastSeq: new Map() };
      this.systems.set(sysid, system);
    }
    return system;
  }
}
