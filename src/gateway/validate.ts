/**
 * The gateway's point rules (PLEXUS-PROTOCOL.md), written independently of the bridge's own
 * validator on purpose: the local gateway must reject what the real one rejects, so a gap in
 * the bridge's validation shows up in tests instead of in production.
 */
export const SOURCE_ID_RULE = /^[a-z0-9][a-z0-9._-]*$/;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** Undefined when the point is valid, else the reason, phrased like the gateway (`points[3].value …`). */
export function pointError(point: unknown, index: number): string | undefined {
  const at = `points[${index}]`;
  if (point === null || typeof point !== "object" || Array.isArray(point)) return `${at} must be an object`;
  const p = point as Record<string, unknown>;
  if (p.class !== "metric" && p.class !== "event") return `${at}.class must be "metric" or "event"`;
  if (typeof p.metric !== "string" || p.metric === "") return `${at}.metric must be a non-empty string`;
  if (bytes(p.metric) > 256) return `${at}.metric exceeds 256 bytes`;
  const value = p.value;
  if (value === undefined || value === null) return `${at}.value is required`;
  if (p.class === "metric") {
    if (typeof value !== "number" || !Number.isFinite(value)) return `${at}.value must be a number for class=metric`;
  } else if (typeof value === "string") {
    if (bytes(value) > 256) return `${at}.value exceeds 256 bytes`;
  } else if (typeof value === "object") {
    if (bytes(JSON.stringify(value)) > 4096) return `${at}.value exceeds 4096 bytes of JSON`;
  } else if (typeof value !== "boolean" && typeof value !== "number") {
    return `${at}.value has an unsupported type`;
  }
  if (p.timestamp !== undefined && (typeof p.timestamp !== "number" || !Number.isFinite(p.timestamp))) {
    return `${at}.timestamp must be a finite number`;
  }
  if (p.tags !== undefined) {
    if (p.tags === null || typeof p.tags !== "object" || Array.isArray(p.tags)) return `${at}.tags must be an object`;
    let count = 0;
    for (const [key, tag] of Object.entries(p.tags as Record<string, unknown>)) {
      if (++count > 16) return `${at}.tags has more than 16 entries`;
      if (typeof tag !== "string") return `${at}.tags.${key} must be a string`;
      if (bytes(key) > 256 || bytes(tag) > 256) return `${at}.tags.${key} exceeds 256 bytes`;
    }
  }
  if (p.source_id !== undefined && (typeof p.source_id !== "string" || !SOURCE_ID_RULE.test(p.source_id))) {
    return `${at}.source_id is not a valid source id`;
  }
  return undefined;
}

/** Epoch milliseconds as the gateway reads a timestamp (a value below 1e12 is seconds). */
export function normaliseTimestamp(timestamp: unknown, now: number): number {
  if (typeof timestamp !== "number") return now;
  return timestamp < 1e12 ? timestamp * 1000 : timestamp;
}
