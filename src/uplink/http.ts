/**
 * Delivery over `POST /ingest`: one request per batch, answered per request, so a 200 is the
 * acknowledgement. 400 → bisect and quarantine the offending point; 413 → split; 401/403 → stop
 * and say why (the uplink checks the key again after its backoff); 429, 5xx and network errors →
 * retry with backoff and jitter.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { promisify } from "node:util";
import { gzip as gzipCallback, type ZlibOptions } from "node:zlib";
import { Backoff, sleep } from "../backoff.js";
import type { BridgeClock } from "../clock.js";
import type { Logger } from "../log.js";
import { availableWithin, type Batch, type BatchSource } from "../pipeline/batch-source.js";
import { InFlight } from "./ack-window.js";
import { findRefused, type ProbeOutcome } from "./bisect.js";
import type { UplinkCounters } from "./counters.js";
import { encodeIngestBody, finishInSlices, ingestBodyEncoding } from "./frame-encoder.js";
import type { PlexusOptions } from "./options.js";
import { rejectedPointIndex } from "./protocol.js";
import { quarantineRefused } from "./quarantine.js";

const gzip = promisify<Buffer, ZlibOptions, Buffer>(gzipCallback);
const GZIP_ABOVE_BYTES = 1024;

/** What a delivery transport (HTTP or one WebSocket session) works with. */
export interface DeliveryContext {
  url: URL;
  apiKey: string | undefined;
  /** The source id announced to the gateway. */
  sourceId: string;
  options: PlexusOptions;
  source: BatchSource;
  clock: BridgeClock;
  log: Logger;
  counters: UplinkCounters;
}

export type HttpContext = DeliveryContext;

export type HttpEnd = { kind: "unauthorized"; status: number; message: string } | { kind: "stopped" };

interface Response {
  status: number;
  body: Record<string, unknown>;
  dateHeader?: string;
  retryAfterMs?: number;
}

class Unauthorized extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
class Aborted extends Error {}

export class HttpSender {
  private readonly inFlight: InFlight;
  private readonly retry: Backoff;
  private readonly agent: HttpAgent | HttpsAgent;
  /** Points of the batch being delivered that the gateway reported as `dropped`. */
  private leftOut = 0;

  constructor(private readonly ctx: HttpContext) {
    this.inFlight = new InFlight(ctx.source, ctx.counters);
    this.retry = new Backoff({ initialMs: ctx.options.reconnect_min, maxMs: ctx.options.reconnect_max });
    this.agent =
      ctx.url.protocol === "https:"
        ? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
        : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Delivers until `signal` aborts (the batch in flight goes back) or the key is refused. */
  async run(signal: AbortSignal): Promise<HttpEnd> {
    const { source, options } = this.ctx;
    try {
      // `{"points":[]}` is a cheap key check, and its Date header a first clock reference.
      await this.postRange(undefined, 0, 0, signal);
      this.ctx.log.info("delivering over HTTP", { url: `${this.ctx.url.origin}${this.ctx.url.pathname}` });
      while (!signal.aborted) {
        if (options.linger > 0) await this.linger(signal);
        const batch = source.take(options.frame_max_points, options.frame_max_bytes);
        if (!batch) {
          await availableWithin(source, 1000, signal);
          if (!signal.aborted && options.flush_interval > 0 && options.linger === 0) await sleep(options.flush_interval, signal);
          continue;
        }
        this.inFlight.add(batch);
        await this.deliver(batch, signal);
      }
      return { kind: "stopped" };
    } catch (error) {
      this.inFlight.giveBackAll();
      if (error instanceof Unauthorized) return { kind: "unauthorized", status: error.status, message: error.message };
      if (error instanceof Aborted) return { kind: "stopped" };
      throw error;
    } finally {
      this.agent.destroy();
    }
  }

  /**
   * Waits until a full batch is queued or `linger` has passed since something was: bigger
   * requests compress far better (bench/wire), and a point waits at most `linger` for company.
   */
  private async linger(signal: AbortSignal): Promise<void> {
    const { source, options, clock } = this.ctx;
    if (source.pending === 0) await availableWithin(source, 1000, signal);
    if (source.pending === 0) return;
    const until = clock.monotonicMs() + options.linger;
    // pending counts what is queued here (HTTP has nothing in flight between requests); polling it
    // every 100 ms costs nothing next to a multi-second linger.
    while (!signal.aborted && source.pending < options.frame_max_points) {
      const left = until - clock.monotonicMs();
      if (left <= 0) return;
      await sleep(Math.min(left, 100), signal);
    }
  }

  private async deliver(batch: Batch, signal: AbortSignal): Promise<void> {
    this.leftOut = 0;
    const refused = await findRefused(0, batch.points.length, (from, to) => this.postRange(batch, from, to, signal));
    quarantineRefused(batch, refused, this.ctx);
    // The gateway said how many it left out, not which: count that many as dropped rather than
    // acknowledged, so the accounting identity holds. Which adapter they are charged to is a guess
    // (the batch's last points); the total is exact.
    const leftOut = Math.min(this.leftOut, batch.points.length);
    for (let i = 0; i < leftOut; i++) this.ctx.source.quarantine(batch, batch.points.length - 1, "left out by the gateway (HTTP dropped)");
    this.inFlight.ack(batch);
  }

  /**
   * Posts points[from, to) (none for the key check) until the server answers it for good: 2xx
   * accepted, 400 refused (bisect), 413 refused without an index (split), 401/403 stop,
   * anything else retried with backoff.
   */
  private async postRange(batch: Batch | undefined, from: number, to: number, signal: AbortSignal): Promise<ProbeOutcome> {
    const { log, counters } = this.ctx;
    for (;;) {
      const { status, body, retryAfterMs } = await this.post(batch, from, to, signal);
      const message = typeof body.error === "string" ? body.error : typeof body.message === "string" ? body.message : `HTTP ${status}`;
      if (status >= 200 && status < 300) {
        const dropped = typeof body.dropped === "number" ? body.dropped : 0;
        // A point leaves the queue only on a 200 that accounts for every point sent. A gateway (or a
        // proxy) that answers 200 without the count it stored has not said the points are safe.
        if (typeof body.count === "number" && body.count + dropped !== to - from) {
          counters.countMismatches++;
          const delay = this.retry.next();
          counters.lastError = `HTTP ${status} counted ${body.count} of ${to - from} points`;
          log.warn("gateway acknowledged a different number of points than sent: resending", {
            sent: to - from,
            count: body.count,
            dropped,
            retry_in_ms: delay,
          });
          await sleep(delay, signal);
          if (signal.aborted) throw new Aborted();
          continue;
        }
        this.retry.reset();
        if (dropped > 0) {
          counters.pointsDroppedByServer += dropped;
          if (batch) this.leftOut += dropped;
          log.warn("gateway reports points it left out", { dropped });
        }
        if (batch) {
          counters.pointsSent += to - from;
          counters.framesSent++;
        }
        return { kind: "accepted" };
      }
      if (status === 401 || status === 403) throw new Unauthorized(status, message);
      if ((status === 400 || status === 413) && batch) {
        if (status === 413) log.warn("request too large for the gateway: splitting", { points: to - from });
        return { kind: "refused", reason: `${status} ${message}`, index: status === 400 ? rejectedPointIndex(message) : undefined };
      }
      // 429, 5xx, and anything unexpected (a wrong URL's 404): retry, never hammer.
      const delay = Math.max(this.retry.next(), retryAfterMs ?? 0);
      counters.lastError = `HTTP ${status}: ${message}`;
      if (status === 429) counters.rateLimited++;
      log.warn("ingest request failed: retrying", { status, error: message, retry_in_ms: delay });
      await sleep(delay, signal);
      if (signal.aborted) throw new Aborted();
    }
  }

  /** One request; network errors are retried here, with backoff, until `signal` aborts. */
  private async post(batch: Batch | undefined, from: number, to: number, signal: AbortSignal): Promise<Response> {
    for (;;) {
      if (signal.aborted) throw new Aborted();
      // In slices: a 10,000-point body must not hold the event loop (and the adapters' reads).
      const json = batch
        ? await finishInSlices(ingestBodyEncoding(this.ctx.sourceId, batch.points, this.ctx.clock, from, to), () => !signal.aborted)
        : encodeIngestBody(this.ctx.sourceId, [], this.ctx.clock);
      if (json === undefined) throw new Aborted();
      const compressed = json.length > GZIP_ABOVE_BYTES;
      const body = compressed ? await gzip(json, { level: this.ctx.options.gzip_level }) : json;
      if (batch) {
        this.ctx.counters.bytesSent += body.length;
        this.ctx.counters.bytesUncompressed += json.length;
      }
      const sentAtMono = this.ctx.clock.monotonicMs();
      try {
        this.ctx.counters.httpRequests++;
        const response = await this.send(body, compressed, signal);
        this.coarseClockSync(response.dateHeader, sentAtMono);
        return response;
      } catch (error) {
        if (signal.aborted) throw new Aborted();
        const delay = this.retry.next();
        this.ctx.counters.lastError = (error as Error).message;
        this.ctx.log.warn("ingest request failed: retrying", { error: (error as Error).message, retry_in_ms: delay });
        await sleep(delay, signal);
      }
    }
  }

  private send(body: Buffer, compressed: boolean, signal: AbortSignal): Promise<Response> {
    const { url, apiKey, options } = this.ctx;
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": body.length };
      if (apiKey) headers["x-api-key"] = apiKey;
      if (compressed) headers["content-encoding"] = "gzip";
      const req = request(url, { method: "POST", headers, agent: this.agent, timeout: options.http_timeout, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          let parsed: Record<string, unknown> = {};
          try {
            const value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            if (value && typeof value === "object") parsed = value;
          } catch {
            // a proxy's HTML error page: the status code says enough
          }
          const retryAfter = Number(res.headers["retry-after"]);
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            dateHeader: res.headers.date,
            retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
          });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${options.http_timeout} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /**
   * Without a WebSocket sync the HTTP path still needs a clock reference: when the box's clock
   * is clearly wrong (off by more than 2 s from the server's Date header), use that header
   * (±0.5 s) until a WebSocket sync gives the precise offset.
   */
  private coarseClockSync(dateHeader: string | undefined, sentAtMono: number): void {
    const { clock, log } = this.ctx;
    if (clock.synced || !dateHeader) return;
    const serverSecond = Date.parse(dateHeader);
    if (!Number.isFinite(serverSecond)) return;
    const receivedAtMono = clock.monotonicMs();
    const serverMid = serverSecond + 500;
    const localWall = clock.toWall(receivedAtMono);
    if (Math.abs(serverMid - localWall) <= 2000) return;
    const rtt = receivedAtMono - sentAtMono;
    // A Date header counts whole seconds: good to ±0.5 s on top of the round trip.
    clock.syncFromServer(serverMid, rtt, receivedAtMono, 500 + rtt / 2);
    log.warn("local clock is off: using the gateway's Date header (±0.5 s) until a WebSocket sync", {
      off_by_s: Math.round((serverMid - localWall) / 1000),
    });
  }
}
