/**
 * Replays an `hcidump -R` / `-X` capture through the same decoders as a live scan, paced by its
 * timestamps (`-t`) × speed, by `interval` when it has none, or as fast as the queue takes it.
 * Sites record with standard BlueZ tools and commission the config offline with `tail`.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { abortWith, orAbort, sleep } from "../../../src/backoff.js";
import { parseAdStructures } from "../advertisement.js";
import { type AdvertisingReport, advertisingReports, parseHcidumpPackets } from "../hcidump.js";
import type { BleRuntime } from "../runtime.js";

export interface HcidumpReplaySettings {
  file: string;
  speed: number | "max";
  intervalMs: number;
  loop: boolean;
}

export class HcidumpReplay {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly path: string;

  constructor(
    private readonly settings: HcidumpReplaySettings,
    private readonly runtime: BleRuntime,
    private readonly ctx: AdapterContext,
  ) {
    this.path = resolve(ctx.configDir, settings.file);
    abortWith(ctx.signal, this.abort);
  }

  /** Reads and parses the capture (so a wrong path fails start() loudly), then replays in the background. */
  async start(): Promise<void> {
    const text = await readFile(this.path, "utf8");
    const reports: AdvertisingReport[] = [];
    for (const packet of parseHcidumpPackets(text)) {
      const parsed = advertisingReports(packet);
      if (parsed.malformed) this.ctx.count("malformed_reports");
      reports.push(...parsed.reports);
    }
    if (reports.length === 0) throw new Error(`no LE advertising reports in ${this.path} (expected hcidump -R or -X output)`);
    this.ctx.status("up", `replaying ${reports.length} advertising reports from ${this.path}`);
    this.running = this.run(reports).catch((error: Error) => {
      if (this.abort.signal.aborted) return;
      this.ctx.status("down", `replay failed: ${error.message}`);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(reports: AdvertisingReport[]): Promise<void> {
    const { speed, intervalMs, loop } = this.settings;
    const signal = this.abort.signal;
    do {
      const startedAt = this.ctx.clock.monotonicMs();
      const firstStamp = reports[0].timestampMs;
      for (let i = 0; i < reports.length && !signal.aborted; i++) {
        const report = reports[i];
        if (speed !== "max") {
          const offset = firstStamp !== undefined && report.timestampMs !== undefined ? report.timestampMs - firstStamp : i * intervalMs;
          const wait = startedAt + offset / speed - this.ctx.clock.monotonicMs();
          if (wait > 1) await sleep(wait, signal);
        }
        const advertisement = parseAdStructures(report.address, report.data, report.rssi);
        // The capture's own time only when it has one (-t); otherwise the pipeline stamps on arrival.
        // Stopping must not wait for a queue that may never drain.
        if (!this.runtime.onAdvertisement(advertisement, report.timestampMs)) await orAbort(this.ctx.drained(), signal, undefined);
      }
    } while (loop && !signal.aborted);
    if (!signal.aborted) this.ctx.finished();
  }
}
