/**
 * The running MAVLink adapter: transport → framing → decode → emit, plus link health and the
 * vehicle link. Loaded by index.ts with a dynamic import, so the message definitions are only
 * loaded when a config uses MAVLink (and serialport only when it uses a serial port).
 */
import { isAbsolute, resolve } from "node:path";
import type { Adapter, AdapterContext, CommandResult, SensorInfo } from "../../src/adapter-contract.js";
import { abortWith, sleep, untilAborted } from "../../src/backoff.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { type Connection, parseConnection } from "./connection-url.js";
import { MessageDecoder } from "./decode.js";
import { dialect } from "./dialect.js";
import { FrameParser, type RawFrame, signingKey } from "./framing.js";
import { LinkHealth } from "./link-health.js";
import type { MavlinkOptions } from "./options.js";
import { SerialTransport } from "./transports/serial.js";
import { TcpTransport } from "./transports/tcp.js";
import { TlogTransport } from "./transports/tlog.js";
import type { Transport, TransportEvents } from "./transports/transport.js";
import { UdpTransport } from "./transports/udp.js";
import { VehicleLink } from "./vehicle.js";

/** A replay emits at least this often, so a fast replay still hands the queue batches of sensible size. */
const MAX_BATCH = 2000;
/** Gaps in a capture longer than this (the logger paused) are replayed as this long. */
const MAX_REPLAY_GAP_MS = 5000;
/** Between the last frame of a looped pass and the first of the next, when the capture gives no interval (a single frame). */
const LOOP_GAP_MS = 1000;

export class MavlinkAdapter implements Adapter {
  private readonly connection: Connection;
  private readonly stopping = new AbortController();
  private readonly health = new LinkHealth();
  private transport: Transport | undefined;
  private parser: FrameParser | undefined;
  private decoder: MessageDecoder | undefined;
  private vehicle: VehicleLink | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private batch: PointInput[] = [];
  private pausedForQueue = false;
  // Replay state.
  private replayFrames: RawFrame[] = [];
  private pacer: { captureMs: number; wallMs: number; lastCaptureMs: number } | undefined;
  private passFirstMs: number | undefined;
  private passLastMs: number | undefined;
  private passFrames = 0;
  private loopOffsetMs = 0;

  constructor(
    private options: MavlinkOptions,
    private readonly ctx: AdapterContext,
  ) {
    this.connection = parseConnection(options.connection);
    abortWith(ctx.signal, this.stopping);
  }

  async start(): Promise<void> {
    const { options, ctx } = this;
    const messages = dialect(options.dialect);
    const key = options.signing_key ? signingKey(options.signing_key) : undefined;
    const replay = this.connection.kind === "tlog";
    this.decoder = this.createDecoder();
    this.parser = new FrameParser({
      tlog: replay,
      crcExtra: (id) => messages.crcExtra(id),
      signing: { policy: options.signing, key },
      onFrame: replay ? (frame) => this.replayFrames.push(frame) : (frame) => this.onLiveFrame(frame),
      onProblem: (problem, n, sysid) => {
        ctx.count(problem, n);
        if (problem === "crc_errors") this.health.crcError(sysid);
      },
    });
    this.transport = this.createTransport();
    this.vehicle = new VehicleLink({
      options,
      log: ctx.log,
      monotonicMs: () => ctx.clock.monotonicMs(),
      write: (frame) => this.transport?.send(frame) ?? false,
      linkDescription: this.transport.description,
      dialect: messages,
      signingKey: key,
      readOnly: replay,
    });

    ctx.status("connecting", this.transport.description);
    const events: TransportEvents = {
      data: replay ? (chunk) => this.onReplayChunk(chunk) : (chunk, datagram) => this.onLiveChunk(chunk, datagram),
      status: (state, detail) => ctx.status(state, detail),
      count: (name, n) => ctx.count(name, n),
      reset: () => {
        this.parser?.reset();
        this.health.resetSequences();
        this.vehicle?.linkReset();
      },
    };
    await this.transport.start(events);
    this.vehicle.start();
    if (options.health_interval > 0) {
      let last = ctx.clock.monotonicMs();
      this.healthTimer = setInterval(() => {
        const now = ctx.clock.monotonicMs();
        const points: PointInput[] = [];
        this.health.report(now - last, points);
        last = now;
        if (points.length) ctx.emit(points);
      }, options.health_interval);
      this.healthTimer.unref();
    }
  }

  /** Runtime-tunable options (include, exclude, rates, angles): a new decoder takes over from the next frame. */
  async configure(change: Record<string, unknown>): Promise<CommandResult> {
    this.options = { ...this.options, ...change } as MavlinkOptions;
    if (this.decoder) this.decoder = this.createDecoder();
    return { changed: Object.keys(change) };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.healthTimer);
    this.vehicle?.stop();
    await this.transport?.stop();
    if (this.batch.length) this.ctx.emit(this.batch.splice(0));
  }

  async command(name: string, params: Record<string, unknown>): Promise<CommandResult> {
    if (name !== "mavlink_command") throw new Error(`the mavlink adapter has no command "${name}" (it answers mavlink_command)`);
    if (!this.vehicle) throw new Error("mavlink_command: the adapter is not running");
    return this.vehicle.command(params);
  }

  describe(): SensorInfo {
    return { description: `MAVLink ${this.options.dialect} over ${this.options.connection}` };
  }

  private createDecoder(): MessageDecoder {
    const { options, ctx } = this;
    return new MessageDecoder(dialect(options.dialect), {
      angles: options.angles,
      include: options.include,
      exclude: options.exclude,
      rates: options.rates,
      count: (name, n) => ctx.count(name, n),
    });
  }

  private createTransport(): Transport {
    const c = this.connection;
    const log = this.ctx.log;
    switch (c.kind) {
      case "udp":
        return new UdpTransport("listen", c.host, c.port, log, this.options.receive_buffer);
      case "udpout":
        return new UdpTransport("connect", c.host, c.port, log, this.options.receive_buffer);
      case "tcp":
        return new TcpTransport(c.host, c.port, log);
      case "serial":
        return new SerialTransport(c.path, c.baud, log);
      case "tlog": {
        const path = isAbsolute(c.path) ? c.path : resolve(this.ctx.configDir, c.path);
        return new TlogTransport(path, c.loop, (more) => this.onPassEnd(more));
      }
    }
  }

  // Live: decode as bytes come; emit once per chunk; pause stream transports while the queue is full.

  private onLiveChunk(chunk: Uint8Array, datagram: boolean) {
    this.parser?.push(chunk, datagram);
    if (!this.batch.length) return;
    const accepted = this.ctx.emit(this.batch);
    this.batch = [];
    if (!accepted && this.transport?.pause && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.transport.pause();
      void this.ctx.drained().then(() => {
        this.pausedForQueue = false;
        this.transport?.resume?.();
      });
    }
  }

  private onLiveFrame(frame: RawFrame) {
    this.health.observe(frame);
    this.vehicle?.observe(frame);
    this.decoder?.decode(frame, this.ctx.clock.monotonicMs(), undefined, this.batch);
  }

  // Replay: pace by capture time × speed, honour backpressure, keep (or drop) the capture's timestamps.

  private async onReplayChunk(chunk: Uint8Array) {
    this.parser?.push(chunk);
    const frames = this.replayFrames;
    this.replayFrames = [];
    const speed = this.connection.kind === "tlog" ? this.connection.speed : "max";
    const signal = this.stopping.signal;
    for (const frame of frames) {
      if (signal.aborted) return;
      const captureMs = (frame.timestampUs ?? 0) / 1000;
      this.passFirstMs ??= captureMs;
      this.passLastMs = captureMs;
      this.passFrames++;
      if (speed !== "max") {
        // Paced on the looped time line, so each pass takes the capture's time and a short one cannot spin.
        const wait = this.paceDelay(captureMs + this.loopOffsetMs, speed);
        if (wait > 2) {
          await this.flushReplay();
          await sleep(wait, signal);
          if (signal.aborted) return; // stopped while waiting: this frame's time has not come
        }
      }
      this.health.observe(frame);
      const timestamp = this.options.restamp ? undefined : captureMs + this.loopOffsetMs;
      this.decoder?.decode(frame, captureMs, timestamp, this.batch);
      if (this.batch.length >= MAX_BATCH) await this.flushReplay();
    }
    await this.flushReplay();
  }

  /** How long to wait before replaying a frame captured at `captureMs`. */
  private paceDelay(captureMs: number, speed: number): number {
    const now = this.ctx.clock.monotonicMs();
    if (!this.pacer) {
      this.pacer = { captureMs, wallMs: now, lastCaptureMs: captureMs };
      return 0;
    }
    const gap = captureMs - this.pacer.lastCaptureMs;
    if (gap > MAX_REPLAY_GAP_MS || gap < 0) this.pacer.captureMs += gap - Math.min(Math.max(gap, 0), MAX_REPLAY_GAP_MS);
    this.pacer.lastCaptureMs = captureMs;
    return this.pacer.wallMs + (captureMs - this.pacer.captureMs) / speed - now;
  }

  private async flushReplay() {
    if (!this.batch.length) return;
    const accepted = this.ctx.emit(this.batch);
    this.batch = [];
    if (accepted) return;
    const pausedAt = this.ctx.clock.monotonicMs();
    await untilAborted(this.ctx.drained(), this.stopping.signal);
    // The pause is not part of the capture: shift the schedule so the replay resumes at its pace instead of bursting.
    if (this.pacer) this.pacer.wallMs += this.ctx.clock.monotonicMs() - pausedAt;
  }

  /** After each pass over the file; returns why the replay must end despite `loop`, if it must. */
  private async onPassEnd(more: boolean): Promise<string | undefined> {
    this.parser?.end();
    await this.flushReplay();
    if (!more) {
      this.ctx.finished();
      return undefined;
    }
    const frames = this.passFrames;
    this.passFrames = 0;
    if (frames === 0) {
      // Looping a file without a single frame would re-read it as fast as the disk goes, forever.
      const path = this.transport?.description ?? this.options.connection;
      this.ctx.log.warn("tlog replay has no valid MAVLink frame: not looping", { file: path });
      this.ctx.finished();
      return `${path}: no valid MAVLink frame in the file (see crc_errors, bytes_discarded), not looping`;
    }
    // The next pass continues the time line after this one, one mean frame interval later, so looped
    // capture timestamps never go backwards and pacing carries on across the loop.
    if (this.passFirstMs !== undefined && this.passLastMs !== undefined) {
      const span = Math.max(0, this.passLastMs - this.passFirstMs);
      this.loopOffsetMs += span + (span > 0 && frames > 1 ? span / (frames - 1) : LOOP_GAP_MS);
    }
    this.passFirstMs = undefined;
    this.passLastMs = undefined;
    this.decoder?.reset();
    return undefined;
  }
}
