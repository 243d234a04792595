/** Counters one Uplink keeps across its connections (shown by stats()). */
export interface UplinkCounters {
  connects: number;
  framesSent: number;
  pointsSent: number;
  pointsAcked: number;
  windowsAcked: number;
  /** Windows the gateway answered with an error frame (their batches were resent or bisected). */
  windowsFailed: number;
  /** Points given back to the queue unacknowledged (disconnects, RATE_LIMITED): resent later. */
  pointsGivenBack: number;
  rateLimited: number;
  /** Points the gateway rejected although local validation passed them (found by bisecting). */
  pointsQuarantined: number;
  /** Points the HTTP ingest reported as `dropped`. */
  pointsDroppedByServer: number;
  httpRequests: number;
  deviceErrorsSent: number;
  /** Telemetry bytes put on the wire (after gzip on HTTP; WebSocket frames are not compressed). */
  bytesSent: number;
  /** The same telemetry before compression: bytesSent / bytesUncompressed is the compression ratio. */
  bytesUncompressed: number;
  /** HTTP 200s whose count (plus dropped) did not match the points sent: not acknowledged, retried. */
  countMismatches: number;
  /** Round trip of the last ping barrier, ms. */
  rttMs?: number;
  lastError?: string;
}

export function newCounters(): UplinkCounters {
  return {
    connects: 0,
    framesSent: 0,
    pointsSent: 0,
    pointsAcked: 0,
    windowsAcked: 0,
    windowsFailed: 0,
    pointsGivenBack: 0,
    rateLimited: 0,
    pointsQuarantined: 0,
    pointsDroppedByServer: 0,
    httpRequests: 0,
    deviceErrorsSent: 0,
    bytesSent: 0,
    bytesUncompressed: 0,
    countMismatches: 0,
  };
}
