/**
 * One WebSocket connection of one source: authenticate, sync the clock, then drain the queue in
 * paced telemetry frames, acknowledged by ping barriers. `run()` resolves when the connection
 * ends, after every batch still in flight has been given back to the queue.
 */

import WebSocket from "ws";
import { Backoff, orAbort, sleep } from "../backoff.js";
import type { Batch } from "../pipeline/batch-source.js";
import { type Barrier, BarrierQueue, InFlight } from "./ack-window.js";
import { findRefused } from "./bisect.js";
import { encodeTelemetryFrame, finishInSlices, telemetryFrameEncoding } from "./frame-encoder.js";
import type { DeliveryContext } from "./http.js";
import { FramePacer } from "./pacer.js";
import {
  type AuthenticatedFrame,
  type DeviceSensor,
  deviceAuthFrame,
  type ErrorFrame,
  errorText,
  type InboundFrame,
  rejectedPointIndex,
  WS_MESSAGE_LIMIT,
} from "./protocol.js";
import { quarantineRefused } from "./quarantine.js";
import { maskingOptions } from "./websocket-masking.js";

export interface SessionContext extends DeliveryContext {
  installId: string;
  agentVersion: string;
  sensors: () => DeviceSensor[];
  startedAtMono: number;
  /** This connection is the scheduled clock re-sync: its sample replaces the held offset. */
  refreshClock: boolean;
  onAuthenticated(frame: AuthenticatedFrame): void;
  /** A frame that is not part of the delivery protocol: a command. */
  onCommand(frame: InboundFrame): void;
}

export type SessionEnd =
  | { kind: "connect_failed"; error: string }
  | { kind: "auth_failed"; message: string }
  | { kind: "closed"; code: number; reason: string; upForMs: number; ackedWindows: number }
  | { kind: "stopped"; upForMs: number; ackedWindows: number };

class SessionClosed extends Error {}

/** Frames must stay under the 1 MiB message limit, whatever the queue's byte estimate said. */
const FRAME_HARD_LIMIT = WS_MESSAGE_LIMIT - 4096;
/**
 * Bytes queued in the socket beyond which no new frame is encoded. On a slow link this keeps a
 * ping barrier from queueing behind minutes of data (and tripping ack_timeout), and bounds memory.
 */
const SEND_BUFFER_LIMIT = 2 * 1024 * 1024;

/** A batch taken from the queue and its telemetry frame, ready to send. */
interface PreparedFrame {
  batch: Batch;
  frame: Buffer;
  /** The buffer the frame was written in, reusable once the frame is written out. */
  buffer: Buffer;
}

/** Frame buffers kept for reuse: one being written out, one being encoded. */
const SPARE_BUFFERS = 2;

export class WsSession {
  private ws: WebSocket | undefined;
  private authenticated = false;
  private authedAtMono = 0;
  private authError: string | undefined;
  /** Telemetry windows the gateway acknowledged on this connection: was it of any use? */
  private ackedWindows = 0;
  private closed = false;
  private readonly closedSignal = new AbortController();
  private readonly barriers = new BarrierQueue();
  private readonly inFlight: InFlight;
  private window: Batch[] = [];
  /**
   * The next frame, taken and encoded before waiting for a window slot or the pacer: with one
   * frame in flight (the default) its encoding overlaps the previous frame's round trip. It is
   * in flight, so a teardown gives it back.
   */
  private next: PreparedFrame | undefined;
  /** The batch being encoded (across event-loop turns): a refused window gives it back too. */
  private preparing: Batch | undefined;
  /** Frame buffers whose frames were written out, for the next frames to reuse. */
  private readonly spareBuffers: Buffer[] = [];
  /** Error frames that arrived while no barrier was pending: they concern the open window. */
  private windowErrors: ErrorFrame[] = [];
  private readonly suspects: Batch[] = [];
  private readonly pacer: FramePacer;
  private readonly rateBackoff = new Backoff({ initialMs: 500, maxMs: 30_000 });
  private wake: (() => void) | undefined;
  private draining: { untilMono: number; emptyQueue: boolean } | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** How many points a frame may hold; shrinks when a frame came out over the hard limit. */
  private maxPoints: number;

  constructor(private readonly ctx: SessionContext) {
    this.inFlight = new InFlight(ctx.source, ctx.counters);
    this.maxPoints = ctx.options.frame_max_points;
    this.pacer = new FramePacer(ctx.options.frame_interval, () => ctx.clock.monotonicMs());
  }

  get isUp(): boolean {
    return this.authenticated && !this.closed;
  }

  run(): Promise<SessionEnd> {
    const { options, log } = this.ctx;
    return new Promise<SessionEnd>((resolve) => {
      const ws = new WebSocket(this.ctx.url, {
        handshakeTimeout: options.connect_timeout,
        perMessageDeflate: false,
        maxPayload: 64 * 1024 * 1024,
        ...maskingOptions(this.ctx.url),
      });
      this.ws = ws;
      let openError: string | undefined;
      const authTimer = setTimeout(() => {
        openError = `no "authenticated" within ${options.connect_timeout} ms`;
        ws.terminate();
      }, options.connect_timeout);
      this.timers.push(authTimer);
      ws.on("open", () => {
        const { apiKey, sourceId, agentVersion, installId, sensors } = this.ctx;
        ws.send(JSON.stringify(deviceAuthFrame({ apiKey, sourceId, agentVersion, installId, sensors: sensors() })));
      });
      ws.on("message", (data) => this.onMessage(data.toString(), authTimer));
      ws.on("pong", (data) => this.onPong(data));
      ws.on("error", (error) => {
        openError ??= error.message;
        this.ctx.counters.lastError = error.message;
      });
      ws.on("close", (code, reasonBuffer) => {
        const reason = reasonBuffer.toString();
        const upForMs = this.authenticated ? this.ctx.clock.monotonicMs() - this.authedAtMono : 0;
        this.teardown();
        const ackedWindows = this.ackedWindows;
        if (this.draining && this.authenticated && (code === 1000 || code === 1005))
          return resolve({ kind: "stopped", upForMs, ackedWindows });
        if (!this.authenticated) {
          if (this.authError !== undefined) return resolve({ kind: "auth_failed", message: this.authError });
          if (code === 1008) return resolve({ kind: "auth_failed", message: reason || "policy violation" });
          return resolve({ kind: "connect_failed", error: openError ?? `closed ${code} ${reason}`.trim() });
        }
        log.info("connection closed", { code, reason: reason || undefined, up_for_ms: Math.round(upForMs) });
        resolve({ kind: "closed", code, reason, upForMs, ackedWindows });
      });
    });
  }

  /**
   * Stops taking new batches (or, with `emptyQueue`, keeps draining the queue), waits for the
   * windows in flight until `withinMs`, then closes normally. Unacknowledged batches go back.
   */
  drain(withinMs: number, emptyQueue: boolean): void {
    if (this.closed) return;
    this.draining = { untilMono: this.ctx.clock.monotonicMs() + withinMs, emptyQueue };
    this.timers.push(setTimeout(() => this.close(1000, "bridge stopping"), Math.max(0, withinMs)));
    // A connection still authenticating may finish and deliver within the deadline (the timer above bounds it).
    if (!this.ws || withinMs <= 0) this.close(1000, "bridge stopping");
    this.poke();
  }

  close(code = 1000, reason = ""): void {
    const ws = this.ws;
    if (!ws || this.closed) return;
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(code, reason);
    // A peer that never answers the close handshake must not hold us: terminate after a while.
    setTimeout(() => ws.terminate(), 2000).unref();
  }

  /** A non-telemetry frame (heartbeat, command reply, device_error), fenced by its own barrier. */
  sendControl(frame: Record<string, unknown>): boolean {
    if (!this.isUp || !this.ws) return false;
    this.closeWindow();
    this.ws.send(JSON.stringify(frame));
    this.ping(this.barriers.open("control", this.ctx.clock.monotonicMs(), [], String(frame.type)));
    return true;
  }

  private onMessage(text: string, authTimer: NodeJS.Timeout): void {
    let frame: InboundFrame;
    try {
      frame = JSON.parse(text);
      if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") throw new Error("no type");
    } catch {
      this.ctx.log.warn("ignoring a frame that is not a typed JSON object", { length: text.length });
      return;
    }
    if (!this.authenticated) {
      if (frame.type === "authenticated") {
        clearTimeout(authTimer);
        this.onAuthenticated(frame as AuthenticatedFrame);
      } else if (frame.type === "error") {
        this.authError = errorText(frame as ErrorFrame);
      }
      return;
    }
    if (frame.type === "error") {
      this.onErrorFrame(frame as ErrorFrame);
      return;
    }
    this.ctx.onCommand(frame);
  }

  private onAuthenticated(frame: AuthenticatedFrame): void {
    const { clock, counters, log } = this.ctx;
    const receivedAtMono = clock.monotonicMs();
    this.authenticated = true;
    this.authedAtMono = receivedAtMono;
    counters.connects++;
    this.ctx.onAuthenticated(frame);
    const serverTime = frame.server_time_ms;
    const sync = this.barriers.open("sync", receivedAtMono);
    sync.settle = () => {
      const rtt = clock.monotonicMs() - sync.sentAtMono;
      counters.rttMs = rtt;
      if (typeof serverTime === "number" && Number.isFinite(serverTime)) {
        const rttMs = Math.round(rtt * 10) / 10;
        if (clock.syncFromServer(serverTime, rtt, receivedAtMono, rtt / 2, this.ctx.refreshClock)) {
          // How far the box's own wall clock is from the gateway's: what an operator wants to know.
          const localError = Date.now() - clock.now();
          log.info("clock synced to the gateway", { local_clock_off_ms: Math.round(localError), rtt_ms: rttMs });
        } else {
          log.info("clock: kept the earlier offset, more precise than this sync's", {
            rtt_ms: rttMs,
            held_rtt_ms: Math.round(clock.sync.rttMs * 10) / 10,
          });
        }
      } else {
        log.warn("authenticated carried no server_time_ms: timestamps use the local clock");
      }
      void this.sendLoop().catch((error) => {
        if (!(error instanceof SessionClosed)) log.error("send loop failed", { error: String(error) });
        this.close(1011, "internal error");
      });
    };
    this.ping(sync);
    this.timers.push(setInterval(() => this.heartbeat(), this.ctx.options.heartbeat_interval));
    this.timers.push(setInterval(() => this.checkAckTimeout(), Math.min(1000, this.ctx.options.ack_timeout)));
  }

  private heartbeat(): void {
    const uptime = Math.round((this.ctx.clock.monotonicMs() - this.ctx.startedAtMono) / 1000);
    this.sendControl({ type: "heartbeat", source_id: this.ctx.sourceId, agent_version: this.ctx.agentVersion, uptime_s: uptime });
  }

  private checkAckTimeout(): void {
    const oldest = this.barriers.oldest();
    if (oldest && this.ctx.clock.monotonicMs() - oldest.sentAtMono > this.ctx.options.ack_timeout) {
      this.ctx.log.warn("no pong within ack_timeout: dropping the connection", { ack_timeout_ms: this.ctx.options.ack_timeout });
      this.ws?.terminate();
    }
  }

  private ping(barrier: Barrier): void {
    this.ws?.ping(Buffer.from(String(barrier.id)));
  }

  private onPong(data: Buffer): void {
    const id = Number(data.toString());
    if (!Number.isInteger(id)) return;
    for (const barrier of this.barriers.answer(id)) this.settle(barrier);
    this.poke();
  }

  private onErrorFrame(frame: ErrorFrame): void {
    if (frame.code === "RATE_LIMITED") this.ctx.counters.rateLimited++;
    if (this.barriers.attribute(frame)) return;
    if (this.window.length > 0) this.windowErrors.push(frame);
    else this.ctx.log.warn("gateway error outside any window", { error: errorText(frame) });
  }

  private settle(barrier: Barrier): void {
    const { counters, log } = this.ctx;
    if (barrier.kind !== "control") counters.rttMs = this.ctx.clock.monotonicMs() - barrier.sentAtMono;
    if (barrier.kind === "telemetry" || barrier.kind === "probe") this.pacer.acknowledged();
    if (barrier.kind === "sync" || barrier.kind === "probe") {
      barrier.settle?.(barrier.errors);
      return;
    }
    if (barrier.kind === "control") {
      // The gateway rejects reply types it does not know (session_started…): harmless, not a telemetry failure.
      if (barrier.errors.length > 0)
        log.debug("gateway answered a control frame with an error", { frame: barrier.label, error: errorText(barrier.errors[0]) });
      return;
    }
    if (barrier.errors.length === 0) {
      for (const batch of barrier.batches) this.inFlight.ack(batch);
      counters.windowsAcked++;
      this.ackedWindows++;
      this.rateBackoff.reset();
      return;
    }
    counters.windowsFailed++;
    const invalid = barrier.errors.find((e) => e.code === "INVALID_MESSAGE");
    if (invalid) {
      log.warn("gateway rejected a telemetry frame: isolating the offending point", { error: errorText(invalid) });
      this.suspects.push(...barrier.batches);
      return;
    }
    const delay = this.rateBackoff.next();
    log.warn("gateway refused a telemetry window: resending after a pause", { error: errorText(barrier.errors[0]), pause_ms: delay });
    this.pacer.pauseFor(delay);
    for (const batch of barrier.batches) this.inFlight.giveBack(batch);
    // A frame prepared (or being prepared) after the refused window goes back too, so the resend keeps the queue's order.
    if (this.next) this.inFlight.giveBack(this.next.batch);
    if (this.preparing) this.inFlight.giveBack(this.preparing);
    this.next = undefined;
  }

  private closeWindow(): void {
    if (this.window.length === 0) return;
    const barrier = this.barriers.open("telemetry", this.ctx.clock.monotonicMs(), this.window);
    barrier.errors.push(...this.windowErrors);
    this.window = [];
    this.windowErrors = [];
    this.ping(barrier);
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for a pong, a close, the queue (when `queue`) or `ms`, whichever first. */
  private async waitForEvent(ms: number, queue = false): Promise<"queue" | "other"> {
    if (this.closed) throw new SessionClosed();
    const woke = await new Promise<"queue" | "other">((resolve) => {
      const timer = setTimeout(() => done("other"), ms);
      this.wake = () => done("other");
      const cancel = queue ? this.ctx.source.onAvailable(() => done("queue")) : undefined;
      function done(reason: "queue" | "other") {
        clearTimeout(timer);
        cancel?.();
        resolve(reason);
      }
    });
    this.wake = undefined;
    if (this.closed) throw new SessionClosed();
    return woke;
  }

  /** Waits for the next frame slot; `claim` books it. */
  private async pace(claim = true): Promise<void> {
    for (;;) {
      if (this.closed) throw new SessionClosed();
      const wait = this.pacer.waitMs();
      if (wait === 0) break;
      await sleep(wait, this.closedSignal.signal);
    }
    if (claim) this.pacer.claim();
  }

  private async sendLoop(): Promise<void> {
    const { options, clock } = this.ctx;
    for (;;) {
      if (this.closed) return;
      if (this.suspects.length > 0) {
        this.closeWindow();
        await this.isolate(this.suspects.shift()!);
        continue;
      }
      if (this.draining && (!this.draining.emptyQueue || clock.monotonicMs() >= this.draining.untilMono)) break;
      this.next ??= await this.prepareFrame();
      if (this.barriers.count("telemetry") >= options.max_unacked_windows) {
        await this.waitForEvent(options.ack_timeout);
        continue;
      }
      if ((this.ws?.bufferedAmount ?? 0) > SEND_BUFFER_LIMIT) {
        this.closeWindow();
        await this.waitForEvent(5);
        continue;
      }
      if (!this.next) {
        this.closeWindow();
        if (this.draining && this.barriers.count() === 0) break;
        const woke = await this.waitForEvent(this.draining ? 50 : options.ack_timeout, true);
        // New points after the queue ran dry: a trickle gathers into frames at most one per
        // flush_interval, while points after a quiet spell go out at once.
        const gather = this.pacer.lastFrameAt + options.flush_interval - clock.monotonicMs();
        if (woke === "queue" && gather > 0 && !this.draining) await sleep(gather, this.closedSignal.signal);
        continue;
      }
      const { batch, frame, buffer } = this.next;
      this.next = undefined;
      await this.pace();
      this.sendFrame(frame, batch.points.length, buffer);
      this.window.push(batch);
      if (this.window.length >= options.ack_window_frames) this.closeWindow();
    }
    // Draining: wait for the windows in flight, then close normally.
    this.closeWindow();
    while (this.barriers.count() > 0 && clock.monotonicMs() < this.draining!.untilMono) await this.waitForEvent(50);
    this.close(1000, "bridge stopping");
  }

  /**
   * Takes the next batch and encodes it a slice at a time; a frame over the message limit is
   * given back and retaken smaller. A batch given back meanwhile (a refused window before it, a
   * closed connection) is not sent: the loop takes again, in the queue's order.
   */
  private async prepareFrame(): Promise<PreparedFrame | undefined> {
    const { source, options, clock } = this.ctx;
    for (;;) {
      const batch = source.take(this.maxPoints, options.frame_max_bytes);
      if (!batch) return undefined;
      this.inFlight.add(batch);
      this.preparing = batch;
      const encoding = telemetryFrameEncoding(batch.points, clock, this.spareBuffers.pop());
      const frame = await finishInSlices(encoding, () => !this.closed && this.inFlight.has(batch));
      this.preparing = undefined;
      if (this.closed) throw new SessionClosed();
      if (frame === undefined) return undefined;
      if (frame.length <= FRAME_HARD_LIMIT || batch.points.length === 1) return { batch, frame, buffer: encoding.buffer };
      this.maxPoints = Math.max(1, Math.floor((batch.points.length * FRAME_HARD_LIMIT) / frame.length / 2));
      this.ctx.log.warn("frame over the message limit: taking smaller batches", { bytes: frame.length, max_points: this.maxPoints });
      this.inFlight.giveBack(batch);
    }
  }

  /** Sends a telemetry frame; `reusable`, its buffer, goes back to the spares once written out (ws copies it to mask it). */
  private sendFrame(frame: Buffer, points: number, reusable?: Buffer): void {
    if (!this.ws || this.closed) throw new SessionClosed();
    this.ws.send(frame, { binary: false }, () => {
      if (reusable && this.spareBuffers.length < SPARE_BUFFERS) this.spareBuffers.push(reusable);
    });
    this.pacer.sent();
    this.ctx.counters.framesSent++;
    this.ctx.counters.pointsSent += points;
    this.ctx.counters.bytesSent += frame.length;
    this.ctx.counters.bytesUncompressed += frame.length;
  }

  /** Sends points[from, to) of a batch as one frame behind its own barrier; resolves with the errors it drew. */
  private async probe(batch: Batch, from: number, to: number): Promise<ErrorFrame[]> {
    await this.pace();
    this.sendFrame(encodeTelemetryFrame(batch.points, this.ctx.clock, from, to), to - from);
    const barrier = this.barriers.open("probe", this.ctx.clock.monotonicMs());
    const answered = new Promise<ErrorFrame[]>((resolve) => (barrier.settle = resolve));
    this.ping(barrier);
    // orAbort leaves no listener on the session's signal: a long isolation sends many probes.
    const result = await orAbort<ErrorFrame[] | undefined>(answered, this.closedSignal.signal, undefined);
    if (!result) throw new SessionClosed();
    return result;
  }

  /**
   * A window drew INVALID_MESSAGE: our validation missed something. Resend this batch alone; if
   * the gateway rejects it, narrow down to the points it refuses (bisect.ts), quarantine those
   * loudly and deliver the rest.
   */
  private async isolate(batch: Batch): Promise<void> {
    const refused = await findRefused(0, batch.points.length, async (from, to) => {
      const errors = await this.probe(batch, from, to);
      if (errors.length === 0) return { kind: "accepted" };
      const invalid = errors.find((e) => e.code === "INVALID_MESSAGE");
      if (!invalid) {
        this.pacer.pauseFor(this.rateBackoff.next());
        return { kind: "retry" };
      }
      return { kind: "refused", reason: errorText(invalid), index: rejectedPointIndex(invalid.detail ?? invalid.message ?? "") };
    });
    quarantineRefused(batch, refused, this.ctx);
    this.inFlight.ack(batch);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedSignal.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.barriers.drain();
    this.window = [];
    this.windowErrors = [];
    this.suspects.length = 0;
    this.next = undefined;
    this.preparing = undefined;
    const given = this.inFlight.giveBackAll();
    if (given > 0) this.ctx.log.debug("gave unacknowledged batches back to the queue", { batches: given });
    this.poke();
  }
}
