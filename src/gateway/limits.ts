/** The gateway's limits and the faults it can inject, with the defaults of PLEXUS-PROTOCOL.md. */

export interface GatewayLimits {
  /** A WebSocket message larger than this closes the connection (no error frame). */
  maxMessageBytes: number;
  maxPointsPerMessage: number;
  /** Telemetry messages per connection: sustained rate and burst (RATE_LIMITED past it). */
  telemetryPerSecond: number;
  telemetryBurst: number;
  /** Telemetry frames of one source closer than this are dropped silently. 0 disables the rule. */
  minTelemetryGapMs: number;
  /** Other device messages (heartbeat, command_result, …). */
  otherPerSecond: number;
  otherBurst: number;
  maxHttpBodyBytes: number;
  /** The first message must be device_auth within this time. */
  authTimeoutMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxMessageBytes: 1024 * 1024,
  maxPointsPerMessage: 10_000,
  telemetryPerSecond: 500,
  telemetryBurst: 2000,
  minTelemetryGapMs: 0.5,
  otherPerSecond: 20,
  otherBurst: 60,
  maxHttpBodyBytes: 5 * 1024 * 1024,
  authTimeoutMs: 10_000,
};

export interface GatewayFaults {
  /** Added to the server clock (server_time_ms and received_at). */
  skewMs: number;
  /** Every Nth telemetry frame is answered RATE_LIMITED and dropped. 0: never. */
  rateLimitEvery: number;
  /** Drop every device connection (no close frame) this often. 0: never. */
  dropEveryMs: number;
  /** Close every device connection with 1001 going-away this often. 0: never. */
  goingAwayEveryMs: number;
  /**
   * Every stallEveryMs, hold what devices send for stallForMs and deliver it in one piece (a TCP
   * retransmission on a lossy link): frames paced apart arrive back to back. 0: never.
   */
  stallEveryMs: number;
  stallForMs: number;
  /** Refuse every connection and request (as if the gateway were down). */
  offline: boolean;
  /** Refuse WebSocket upgrades only (a proxy that does not pass WebSockets); HTTP ingest still works. */
  refuseWebSocket: boolean;
  /** A rule stricter than the bridge's: returns a reason to reject a point the contract allows. */
  rejectPoint?: (point: Record<string, unknown>) => string | undefined;
  /** Status codes returned by the next HTTP ingest requests, one per request, before any real handling. */
  httpStatuses: number[];
  /**
   * The next N ingest requests store only the first half of their points and answer 200 with
   * that count: a gateway (or a broken proxy) that loses points behind a success.
   */
  shortCountRequests: number;
}

export const DEFAULT_FAULTS: GatewayFaults = {
  skewMs: 0,
  rateLimitEvery: 0,
  dropEveryMs: 0,
  goingAwayEveryMs: 0,
  stallEveryMs: 0,
  stallForMs: 0,
  offline: false,
  refuseWebSocket: false,
  httpStatuses: [],
  shortCountRequests: 0,
};

/** A token bucket: `take()` is false when the rate is exceeded. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
