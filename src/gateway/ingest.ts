/** `POST /ingest` on the local gateway: the HTTP half of the contract, status codes included. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import type { DeviceHost } from "./device.js";
import { pointError, SOURCE_ID_RULE } from "./validate.js";

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? "too_large" : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, host: DeviceHost): Promise<void> {
  const record = {
    status: 0,
    gzip: req.headers["content-encoding"] === "gzip",
    bodyBytes: Number(req.headers["content-length"] ?? 0),
    points: 0,
  };
  res.on("finish", () => host.recordRequest({ ...record, status: res.statusCode }));
  return answerIngest(req, res, host, record);
}

async function answerIngest(req: IncomingMessage, res: ServerResponse, host: DeviceHost, record: { points: number }): Promise<void> {
  const injected = host.faults.httpStatuses.shift();
  if (injected !== undefined) {
    req.resume();
    return reply(res, injected, { error: `injected ${injected}` });
  }
  const key = host.checkKey(req.headers["x-api-key"]);
  if (key === "invalid") {
    req.resume();
    return reply(res, 401, { error: "Invalid API key" });
  }
  if (key === "read_only") {
    req.resume();
    return reply(res, 403, { error: "API key lacks write scope" });
  }
  const limit = host.limits.maxHttpBodyBytes;
  const raw = await readBody(req, limit);
  if (raw === "too_large") return reply(res, 413, { error: "body too large" });
  let text: string;
  try {
    text = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw, { maxOutputLength: limit }).toString("utf8") : raw.toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return reply(res, 413, { error: "body too large" });
    return reply(res, 400, { error: "invalid gzip body" });
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
  } catch {
    return reply(res, 400, { error: "invalid JSON body" });
  }
  const points = body.points;
  if (!Array.isArray(points)) return reply(res, 400, { error: "points must be an array" });
  record.points = points.length;
  if (points.length > host.limits.maxPointsPerMessage) return reply(res, 400, { error: `too many points: ${points.length}` });
  const defaultSource = body.source_id;
  if (points.length > 0 && (typeof defaultSource !== "string" || !SOURCE_ID_RULE.test(defaultSource))) {
    if (points.some((p) => typeof (p as Record<string, unknown>)?.source_id !== "string"))
      return reply(res, 400, { error: "source_id is required" });
  }
  const strict = host.faults.rejectPoint;
  for (let i = 0; i < points.length; i++) {
    const problem = pointError(points[i], i) ?? (strict ? strict(points[i]) : undefined);
    if (problem) return reply(res, 400, { error: problem.startsWith("points[") ? problem : `points[${i}] ${problem}` });
  }
  let stored = points as Record<string, unknown>[];
  if (host.faults.shortCountRequests > 0 && stored.length > 1) {
    host.faults.shortCountRequests--;
    stored = stored.slice(0, Math.floor(stored.length / 2));
  }
  const bySource = new Map<string, Record<string, unknown>[]>();
  for (const point of stored) {
    const source = typeof point.source_id === "string" ? point.source_id : (defaultSource as string);
    const list = bySource.get(source);
    if (list) list.push(point);
    else bySource.set(source, [point]);
  }
  for (const [source, list] of bySource) host.accept(source, list, "http");
  reply(res, 200, { success: true, count: stored.length });
}
