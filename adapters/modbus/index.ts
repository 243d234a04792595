/**
 * The modbus adapter: polls the devices behind one Modbus connection (TCP, RTU on a serial port,
 * or RTU framing through a TCP converter) by register map or SunSpec discovery. modbus-serial is
 * imported by the transport, inside start(), so loading this file for the config schema stays cheap.
 */
import { type Adapter, type AdapterContext, defineAdapter, type SensorInfo } from "../../src/adapter-contract.js";
import { Backoff, sleep } from "../../src/backoff.js";
import { checkMapFiles, devicePoints } from "./map-file.js";
import { type ModbusOptions, modbusOptions } from "./options.js";
import type { DevicePoller } from "./poller.js";
import type { ModbusLink } from "./transport.js";
import { parseEndpoint } from "./url.js";

const DEFAULT_RTU_GAP_MS = 20;

export class ModbusAdapter implements Adapter {
  private link: ModbusLink | undefined;
  private pollers: DevicePoller[] = [];
  private loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private linkUp = false;
  private linkDownReported = false;

  constructor(
    private readonly options: ModbusOptions,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const endpoint = parseEndpoint(this.options.url);
    // Map files are read before anything connects: a broken map fails start, not the first poll.
    const pointsPerDevice = await Promise.all(this.options.devices.map((device) => devicePoints(device, this.ctx.configDir)));
    const [{ ModbusLink }, { DevicePoller }] = await Promise.all([import("./transport.js"), import("./poller.js")]);
    const gapMs = this.options.request_gap ?? (endpoint.kind === "tcp" ? 0 : DEFAULT_RTU_GAP_MS);
    this.ctx.status("connecting");
    this.link = new ModbusLink(
      endpoint,
      {
        timeoutMs: this.options.timeout,
        retries: this.options.retries,
        gapMs,
        reconnectMinMs: this.options.reconnect_min,
        reconnectMaxMs: this.options.reconnect_max,
      },
      this.ctx.log,
      {
        onUp: () => {
          this.linkUp = true;
          this.linkDownReported = false;
          this.reportState();
        },
        onDown: (reason) => {
          // Reported once per outage, not at every reconnect attempt.
          if (this.linkDownReported) return;
          this.linkUp = false;
          this.linkDownReported = true;
          this.ctx.status("down", reason);
        },
        count: (name, n) => this.ctx.count(name, n),
      },
    );
    const events = {
      deviceState: () => this.reportState(),
      exceptionReported: (_device: DevicePoller, detail: string) => this.ctx.status("up", detail),
    };
    this.pollers = this.options.devices.map(
      (device, i) =>
        new DevicePoller(
          device,
          pointsPerDevice[i],
          this.link!,
          this.ctx,
          {
            intervalMs: this.options.interval,
            plan: { maxGap: this.options.max_gap, coalesce: this.options.coalesce },
            reconnectMinMs: this.options.reconnect_min,
            reconnectMaxMs: this.options.reconnect_max,
          },
          events,
        ),
    );
    this.link.start();
    this.loops = this.pollers.map((poller) => this.keepPolling(poller));
  }

  /**
   * Runs one device's poll loop. A loop that fails on something unexpected (a bug, a device
   * answering in a way nothing foresaw) is restarted with backoff: that device must not stay
   * unpolled for good while the others on the bus go on.
   */
  private async keepPolling(poller: DevicePoller): Promise<void> {
    const signal = this.abort.signal;
    const backoff = new Backoff({ initialMs: this.options.reconnect_min, maxMs: this.options.reconnect_max });
    while (!signal.aborted) {
      try {
        await poller.run(signal);
        return;
      } catch (error) {
        const delay = backoff.next();
        this.ctx.log.error("poll loop failed, restarting it", { device: poller.label, error: String(error), retry_in_ms: delay });
        this.ctx.count("poll_loop_failures");
        await sleep(delay, signal);
      }
    }
  }

  /** The adapter's status: the link first, then which devices answer. */
  private reportState(): void {
    if (!this.linkUp) return;
    const down = this.pollers.filter((p) => p.up === false);
    const known = this.pollers.filter((p) => p.up !== undefined);
    if (known.length === 0) {
      this.ctx.status("up", "link up");
      return;
    }
    if (down.length === 0) this.ctx.status("up", `${this.pollers.length} device(s) answering`);
    else if (down.length === this.pollers.length) this.ctx.status("down", `no device answering (${down.map((p) => p.label).join(", ")})`);
    else this.ctx.status("up", `not answering: ${down.map((p) => p.label).join(", ")}`);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.link?.stop();
    await Promise.all(this.loops);
  }

  async configure(change: Record<string, unknown>) {
    const result: Record<string, unknown> = {};
    if (change.interval !== undefined) {
      const interval = modbusOptions.shape.interval.parse(change.interval);
      for (const poller of this.pollers) poller.intervalMs = interval;
      result.interval = interval;
    }
    return result;
  }

  describe(): SensorInfo {
    const metrics = [...new Set(this.pollers.flatMap((p) => p.metricNames))];
    return {
      description: `Modbus ${this.options.url.split("?")[0]}, ${this.options.devices.length} device(s)`,
      metrics: metrics.length > 0 ? metrics : undefined,
      sample_rate: this.options.interval > 0 ? 1000 / this.options.interval : undefined,
    };
  }

  /** The polling state, for tests and the benchmark. */
  get devices(): readonly DevicePoller[] {
    return this.pollers;
  }
}

export default defineAdapter({
  type: "modbus",
  summary: "Polls Modbus TCP / RTU / RTU-over-TCP devices by register map or SunSpec discovery",
  options: modbusOptions,
  runtimeTunable: ["interval"],
  checkFiles: (options, configDir) => checkMapFiles(options, configDir),
  create: (options, ctx: AdapterContext) => new ModbusAdapter(options, ctx),
});
