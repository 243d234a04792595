/**
 * The uplink of one source: keeps a WebSocket (or HTTP, or either with `auto`) delivering that
 * source's queue, reconnects with backoff, re-syncs the clock on schedule, answers dashboard
 * commands and reports adapter errors. One Uplink per source_id.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { Backoff, sleep } from "../backoff.js";
import type { BridgeControl } from "../bridge-control.js";
import type { BridgeClock } from "../clock.js";
import type { Logger } from "../log.js";
import type { BatchSource } from "../pipeline/batch-source.js";
import { CommandHandler } from "./commands.js";
import { newCounters, type UplinkCounters } from "./counters.js";
import { DeviceErrorReporter, type Severity } from "./device-errors.js";
import { type DeliveryContext, HttpSender } from "./http.js";
import { type PlexusOptions, SOURCE_ID_PATTERN } from "./options.js";
import { assertSecure, CLOSE_ABNORMAL, CLOSE_GOING_AWAY, type DeviceSensor, deviceWebSocketUrl, ingestUrl } from "./protocol.js";
import { RedactingLogger, redactor } from "./redact.js";
import { defaultStateDir, UplinkState as PersistedState } from "./state.js";
import { type SessionEnd, WsSession } from "./websocket.js";

export type UplinkStatus = "idle" | "connecting" | "up" | "http" | "backoff" | "auth_failed" | "stopped";

export interface UplinkOptions {
  options: PlexusOptions;
  apiKey?: string;
  source: BatchSource;
  clock: BridgeClock;
  log: Logger;
  /** The config's top-level state_dir; default defaultStateDir(). */
  stateDir?: string;
  sensors: () => DeviceSensor[];
  control: BridgeControl;
  agentVersion: string;
  onState?: (status: UplinkStatus, detail?: string) => void;
}

export interface UplinkStats extends UplinkCounters {
  status: UplinkStatus;
  connected: boolean;
  transport: "websocket" | "http" | undefined;
  /** The source id configured, and the one the gateway knows us by (they differ when it assigned another). */
  sourceId: string;
  announcedSourceId: string;
  pending: number;
  clockSynced: boolean;
  /** Server wall time − CLOCK_MONOTONIC, ms (what maps the bridge's stamps). */
  clockOffsetMs?: number;
  /** The box's wall clock minus the gateway's, ms: how wrong the local clock is. */
  localClockErrorMs?: number;
  clockOffsetAgeMs?: number;
}

/** Connections that close sooner than stable_after this many times in a row are called flapping. */
const FLAPPING_AFTER = 3;

export class Uplink extends EventEmitter {
  private readonly counters = newCounters();
  private readonly log: Logger;
  private readonly redact: (text: string) => string;
  private readonly persisted: PersistedState;
  private readonly wsUrl: URL;
  private readonly httpUrl: URL;
  private readonly backoff: Backoff;
  private readonly commands: CommandHandler;
  private readonly deviceErrors: DeviceErrorReporter;
  private readonly stopController = new AbortController();
  private readonly startedAtMono: number;
  private status: UplinkStatus = "idle";
  private session: WsSession | undefined;
  private httpAbort: AbortController | undefined;
  private announcedSourceId: string;
  private loop: Promise<void> | undefined;
  private stopDeadlineMs = 0;
  private resyncing = false;
  /** The next connection is the scheduled re-sync's: its clock sample replaces the held one. */
  private clockRefreshDue = false;
  private shortLived = 0;
  private wsFailures = 0;
  private httpUntilMono = 0;
  /** Connections in a row that the gateway closed with 1001 before they were stable. */
  private goingAwayInRow = 0;
  private installIdValue: string | undefined;

  constructor(private readonly o: UplinkOptions) {
    super();
    this.redact = redactor(o.apiKey);
    this.log = new RedactingLogger(o.log, this.redact);
    const { options } = o;
    this.wsUrl = deviceWebSocketUrl(options.url);
    this.httpUrl = ingestUrl(options.url, options.http_url);
    if (options.transport !== "http") assertSecure(this.wsUrl, options.allow_insecure, "plexus.url");
    if (options.transport !== "websocket") assertSecure(this.httpUrl, options.allow_insecure, "plexus.http_url");
    this.persisted = new PersistedState(o.stateDir ?? defaultStateDir());
    this.announcedSourceId = this.persisted.adoptedSourceId(o.source.sourceId) ?? o.source.sourceId;
    this.backoff = new Backoff({ initialMs: options.reconnect_min, maxMs: options.reconnect_max });
    this.startedAtMono = o.clock.monotonicMs();
    this.commands = new CommandHandler({
      control: o.control,
      sourceId: o.source.sourceId,
      log: this.log,
      send: (frame) => this.session?.sendControl(frame) ?? false,
    });
    this.deviceErrors = new DeviceErrorReporter(
      options.device_error_interval,
      (frame) => {
        const sent = this.session?.sendControl(frame) ?? false;
        if (sent) this.counters.deviceErrorsSent++;
        return sent;
      },
      () => o.clock.monotonicMs(),
    );
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((error) => {
      this.log.error("uplink stopped on an unexpected error", { error: this.redact(String(error)) });
      this.setStatus("stopped", String(error));
    });
  }

  /**
   * Keeps delivering what is in flight and pending for up to `deadlineMs`, then gives back
   * whatever is unacknowledged and closes.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopDeadlineMs = Math.max(0, deadlineMs);
    const deadline = setTimeout(() => this.httpAbort?.abort(), this.stopDeadlineMs);
    const emptyCheck = setInterval(() => {
      if (this.o.source.pending === 0) this.httpAbort?.abort();
    }, 50);
    this.stopController.abort();
    this.session?.drain(this.stopDeadlineMs, true);
    if (this.o.source.pending === 0) this.httpAbort?.abort();
    try {
      await this.loop;
    } finally {
      clearTimeout(deadline);
      clearInterval(emptyCheck);
      this.deviceErrors.stop();
      this.o.source.setUplinkUp(false);
      this.setStatus("stopped");
    }
  }

  /** An adapter changed state: sent up as a rate-limited device_error (latest state wins). */
  reportDeviceError(source: string, error: string, severity: Severity = "error"): void {
    this.deviceErrors.report(source, this.redact(error), severity);
  }

  stats(): UplinkStats {
    const { clock } = this.o;
    const lastError = this.counters.lastError === undefined ? undefined : this.redact(this.counters.lastError);
    return {
      ...this.counters,
      lastError,
      status: this.status,
      connected: this.status === "up" || this.status === "http",
      transport: this.status === "up" ? "websocket" : this.status === "http" ? "http" : undefined,
      sourceId: this.o.source.sourceId,
      announcedSourceId: this.announcedSourceId,
      pending: this.o.source.pending,
      clockSynced: clock.synced,
      clockOffsetMs: clock.synced ? clock.sync.offsetMs : undefined,
      localClockErrorMs: clock.synced ? Math.round(Date.now() - clock.now()) : undefined,
      clockOffsetAgeMs: clock.offsetAgeMs(),
    };
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private setStatus(status: UplinkStatus, detail?: string): void {
    if (this.status === status) return;
    this.status = status;
    if (detail !== undefined) detail = this.redact(detail);
    this.o.onState?.(status, detail);
    this.emit("state", status, detail);
  }

  private async run(): Promise<void> {
    const { options } = this.o;
    while (!this.stopping) {
      const useHttp = options.transport === "http" || (options.transport === "auto" && this.o.clock.monotonicMs() < this.httpUntilMono);
      const delay = useHttp ? await this.runHttp() : await this.runWebSocket();
      if (this.stopping) break;
      if (delay > 0) {
        // A refused key stays visible in the status while waiting to try again.
        if (this.status !== "auth_failed") this.setStatus("backoff", `retry in ${delay} ms`);
        await sleep(delay, this.stopController.signal);
      }
    }
  }

  private delivery(url: URL): DeliveryContext {
    const { options, apiKey, source, clock } = this.o;
    return { url, apiKey, sourceId: this.announcedSourceId, options, source, clock, log: this.log, counters: this.counters };
  }

  /** One WebSocket connection, start to end; returns the delay before the next attempt. */
  private async runWebSocket(): Promise<number> {
    const { options } = this.o;
    this.setStatus("connecting");
    const session = new WsSession({
      ...this.delivery(this.wsUrl),
      installId: this.installId(),
      agentVersion: this.o.agentVersion,
      sensors: this.o.sensors,
      counters: this.counters,
      startedAtMono: this.startedAtMono,
      refreshClock: this.clockRefreshDue,
      onAuthenticated: (frame) => {
        this.clockRefreshDue = false;
        this.onAuthenticated(frame.source_id);
      },
      onCommand: (frame) => void this.commands.handle(frame),
    });
    this.session = session;
    const resyncTimer = setTimeout(() => {
      this.resyncing = true;
      this.log.info("scheduled clock re-sync: reconnecting");
      session.drain(options.ack_timeout, false);
    }, options.resync_interval);
    let end: SessionEnd;
    try {
      end = await session.run();
    } finally {
      clearTimeout(resyncTimer);
      this.session = undefined;
      this.o.source.setUplinkUp(false);
    }
    return this.afterSession(end);
  }

  /**
   * The install id, read (or created) once. A state directory that cannot be written (a read-only
   * root, a full disk) must not keep the source from delivering: an id for this run then.
   */
  private installId(): string {
    if (this.installIdValue === undefined) {
      try {
        this.installIdValue = this.persisted.installId();
      } catch (error) {
        this.installIdValue = randomUUID().replaceAll("-", "");
        this.log.warn("cannot keep the install id in the state directory: using a new one for this run", {
          state_dir: this.persisted.dir,
          error: (error as Error).message,
        });
      }
    }
    return this.installIdValue;
  }

  private onAuthenticated(assigned: string | undefined): void {
    const configured = this.o.source.sourceId;
    if (typeof assigned === "string" && assigned !== this.announcedSourceId) {
      if (!SOURCE_ID_PATTERN.test(assigned) || Buffer.byteLength(assigned) > 256) {
        this.log.warn("the gateway answered with a source_id that is not a valid id: ignoring it", { assigned: assigned.slice(0, 80) });
        assigned = undefined;
      }
    }
    if (typeof assigned === "string" && assigned !== this.announcedSourceId) {
      this.log.warn("the gateway assigned another source_id: adopting it", { configured, assigned });
      this.announcedSourceId = assigned;
      try {
        this.persisted.saveAdoptedSourceId(configured, assigned);
      } catch (error) {
        this.log.warn("cannot save the assigned source_id in the state directory: adopted for this run only", {
          state_dir: this.persisted.dir,
          error: (error as Error).message,
        });
      }
    }
    this.wsFailures = 0;
    this.o.source.setUplinkUp(true);
    this.setStatus("up");
    this.log.info("connected", { source_id: this.announcedSourceId, url: this.wsUrl.origin });
    this.deviceErrors.flush();
  }

  private afterSession(end: SessionEnd): number {
    const { options } = this.o;
    const resync = this.resyncing;
    this.resyncing = false;
    if (resync) this.clockRefreshDue = true;
    if (end.kind === "stopped") return resync ? 0 : this.backoff.next();
    if (end.kind === "auth_failed") {
      this.counters.lastError = `authentication rejected: ${end.message}`;
      const delay = this.backoff.next();
      this.log.error(`gateway rejected authentication: ${end.message} — check plexus.api_key (a plx_ key with write scope)`, {
        retry_in_ms: delay,
      });
      this.setStatus("auth_failed", end.message);
      return delay;
    }
    if (end.kind === "connect_failed") {
      this.counters.lastError = end.error;
      this.wsFailures++;
      if (options.transport === "auto" && this.wsFailures >= 2) {
        this.httpUntilMono = this.o.clock.monotonicMs() + options.ws_retry_interval;
        this.log.warn("WebSocket unavailable: falling back to HTTP ingest", {
          error: end.error,
          retry_ws_in_ms: options.ws_retry_interval,
        });
        this.wsFailures = 0;
        return 0;
      }
      const delay = this.backoff.next();
      this.log.warn("cannot connect to the gateway", { error: end.error, retry_in_ms: delay });
      return delay;
    }
    // A connection that was up and closed.
    this.counters.lastError = `closed ${end.code}${end.reason ? ` ${end.reason}` : ""}`;
    // A lost connection that carried acknowledged frames was useful, however short: come back at
    // the minimum delay, or a link that drops every few seconds doubles its outage (and the points'
    // queueing delay) on every drop. Connections that die before their first acknowledgement (a
    // gateway refusing work, a link too bad to deliver) climb the backoff, and so do connections
    // the gateway closed on purpose: two bridges evicting each other from one source_id must not
    // reconnect every second forever. (Going away, 1001, has its own prompt return below.)
    const useful = end.ackedWindows > 0 && (end.code === CLOSE_ABNORMAL || end.code === CLOSE_GOING_AWAY);
    if (useful) this.backoff.reset();
    if (end.upForMs >= options.stable_after) {
      this.backoff.reset();
      this.shortLived = 0;
    } else if (end.code !== CLOSE_GOING_AWAY && ++this.shortLived === FLAPPING_AFTER) {
      this.log.warn(
        `connection keeps closing soon after authenticating: is another bridge or adapter publishing as source_id "${this.announcedSourceId}"? The gateway keeps one connection per source`,
      );
    }
    // Going away (a gateway restarting or draining): come back promptly, a little jitter apart. Only
    // once in a row, though: a gateway that closes every new connection with 1001 gets the backoff,
    // not a reconnect (and device_auth) several times a second.
    if (end.code === CLOSE_GOING_AWAY) {
      this.goingAwayInRow = end.upForMs >= options.stable_after || useful ? 1 : this.goingAwayInRow + 1;
      if (this.goingAwayInRow === 1) return Math.round(50 + Math.random() * 200);
    } else {
      this.goingAwayInRow = 0;
    }
    return this.backoff.next();
  }

  /** Delivers over HTTP until stopped, or (auto) until it is time to try the WebSocket again. */
  private async runHttp(): Promise<number> {
    const { options, clock } = this.o;
    const abort = new AbortController();
    this.httpAbort = abort;
    if (this.stopping && this.o.source.pending === 0) abort.abort();
    const wsRetry =
      options.transport === "auto" ? setTimeout(() => abort.abort(), Math.max(0, this.httpUntilMono - clock.monotonicMs())) : undefined;
    this.setStatus("http");
    this.o.source.setUplinkUp(true);
    const sender = new HttpSender(this.delivery(this.httpUrl));
    try {
      const end = await sender.run(abort.signal);
      if (end.kind === "unauthorized") {
        // Stop delivering and say why, but check the key again now and then (an empty request, the
        // backoff up to reconnect_max): a key whose scope is fixed on the server works again without a restart.
        const delay = this.backoff.next();
        this.counters.lastError = `HTTP ${end.status}: ${end.message}`;
        this.log.error(
          `gateway refused the API key (HTTP ${end.status}: ${end.message}): this source is not delivering; fix plexus.api_key (a plx_ key with write scope)`,
          { retry_in_ms: delay },
        );
        this.setStatus("auth_failed", end.message);
        return delay;
      }
      return 0;
    } finally {
      if (wsRetry) clearTimeout(wsRetry);
      this.httpAbort = undefined;
      this.o.source.setUplinkUp(false);
    }
  }
}
