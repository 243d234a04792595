/** The running adapter: loads the DBC, builds the decoder and opens the configured transport. */
import { basename } from "node:path";
import type { Adapter, AdapterContext, CommandResult } from "../../src/adapter-contract.js";
import { CompiledDatabase } from "./dbc/database.js";
import { loadDbcFiles } from "./dbc/load.js";
import { formatProblem } from "./dbc/model.js";
import { type DecoderConfig, FrameDecoder } from "./decode.js";
import { type CanOptions, canOptions, dbcFiles } from "./options.js";
import { CanRuntime } from "./runtime.js";
import { CandumpReplay } from "./transport/candump-replay.js";

interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class CanAdapter implements Adapter {
  private transport: Transport | undefined;
  private runtime: CanRuntime | undefined;
  private db: CompiledDatabase | undefined;
  /** Set by stop(): a start() still loading the DBC or the transport must not go on to open it. */
  private stopping = false;

  constructor(
    private options: CanOptions,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const options = this.options;
    const files = dbcFiles(options);
    if (files.length > 0) {
      const { messages, problems } = await loadDbcFiles(files, this.ctx.configDir);
      const errors = problems.filter((p) => p.severity === "error");
      const warnings = problems.filter((p) => p.severity === "warning");
      if (warnings.length > 0) {
        // One line: real DBCs often carry a few stale comments, which should not flood the log.
        const shown = warnings.slice(0, 3).map(formatProblem).join("; ");
        this.ctx.log.warn(`DBC has ${warnings.length} warning(s): ${shown}${warnings.length > 3 ? "; …" : ""}`);
      }
      if (errors.length > 0) {
        const shown = errors.slice(0, 5).map(formatProblem).join("; ");
        throw new Error(`DBC has ${errors.length} error(s): ${shown}${errors.length > 5 ? "; …" : ""}`);
      }
      this.db = new CompiledDatabase(messages);
      const signals = this.db.messages.reduce((sum, m) => sum + m.signals.length, 0);
      this.ctx.log.info(`DBC loaded: ${messages.length} messages, ${signals} signals`);
    } else if (options.raw === "none") {
      this.ctx.log.warn("no dbc and raw: none: frames will only be counted");
    }
    const clock = this.ctx.clock;
    const decoder = new FrameDecoder(this.db, decoderConfig(options), () => clock.monotonicMs());
    const runtime = new CanRuntime(decoder, this.ctx, options.filters, options.health_interval);
    this.runtime = runtime;
    this.transport = await this.createTransport(runtime);
    if (this.stopping) return;
    runtime.startHealth();
    this.ctx.status("connecting", this.describeSource());
    await this.transport.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.transport?.stop();
    this.runtime?.stop();
  }

  async configure(change: Record<string, unknown>): Promise<CommandResult> {
    const next = canOptions.parse({ ...this.options, ...change });
    const changed = Object.keys(change).filter(
      (key) => JSON.stringify(next[key as keyof CanOptions]) !== JSON.stringify(this.options[key as keyof CanOptions]),
    );
    this.options = next;
    this.runtime?.decoder.configure(decoderConfig(next));
    return { changed };
  }

  private describeSource(): string {
    const o = this.options;
    if (o.interface === "socketcan") return `socketcan ${o.channel}`;
    if (o.interface === "slcan") return `slcan ${o.device} at ${o.bitrate} bit/s`;
    return `candump replay of ${o.file}`;
  }

  private async createTransport(runtime: CanRuntime): Promise<Transport> {
    const o = this.options;
    const reconnect = { minMs: o.reconnect_min, maxMs: o.reconnect_max };
    switch (o.interface) {
      case "candump":
        return new CandumpReplay(
          { file: o.file as string, speed: o.speed, loop: o.loop, channels: o.channels, timestamps: o.timestamps },
          runtime,
          this.ctx,
        );
      case "slcan": {
        const { SlcanTransport } = await import("./transport/slcan.js");
        const device = o.device as string;
        return new SlcanTransport(
          { device, bitrate: o.bitrate, serialBaud: o.serial_baud, listenOnly: o.listen_only, channel: basename(device), ...reconnect },
          runtime,
          this.ctx,
        );
      }
      case "socketcan": {
        const { SocketcanTransport } = await import("./transport/socketcan.js");
        return new SocketcanTransport({ channel: o.channel, filters: o.filters, ...reconnect }, runtime, this.ctx);
      }
    }
  }
}

export function decoderConfig(options: CanOptions): DecoderConfig {
  return {
    naming: options.naming,
    labels: options.labels,
    raw: options.raw,
    j1939: options.j1939,
    bus: options.bus,
    include: options.include,
    exclude: options.exclude,
    defaults: { on_change: options.on_change, deadband: options.deadband, max_rate: options.max_rate, heartbeat: options.heartbeat },
    signals: options.signals,
  };
}
