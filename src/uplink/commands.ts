/**
 * Dashboard commands → BridgeControl calls. Commands arrive raw (`{"type":"configure",…}`, the
 * product spec) or wrapped (`{"type":"typed_command","id":…,"command":…,"params":…}`, the current
 * gateway); each is answered in the style it came in. An unknown or unsupported command gets an
 * error result, never silence.
 */
import { randomBytes } from "node:crypto";
import type { CommandResult } from "../adapter-contract.js";
import type { AdapterSummary, BridgeControl } from "../bridge-control.js";
import type { Logger } from "../log.js";
import type { InboundFrame } from "./protocol.js";

export interface CommandContext {
  control: BridgeControl;
  /** The configured source id: the one BridgeControl knows. */
  sourceId: string;
  log: Logger;
  /** Sends a reply frame; false when the connection is gone. */
  send(frame: Record<string, unknown>): boolean;
}

/** What a command produced: its result, and the spec's raw reply frame where the spec defines one. */
interface Outcome {
  result: CommandResult;
  rawReply?: Record<string, unknown>;
}

class CommandError extends Error {}

const ADAPTER_TYPE_COMMANDS: Record<string, { type: string; enabled: boolean; keys: string[] }> = {
  start_can: { type: "can", enabled: true, keys: ["channel", "interface", "bus", "device"] },
  stop_can: { type: "can", enabled: false, keys: ["channel", "interface", "bus", "device"] },
  start_mavlink: { type: "mavlink", enabled: true, keys: ["connection", "connection_string", "url", "device"] },
  stop_mavlink: { type: "mavlink", enabled: false, keys: ["connection", "connection_string", "url", "device"] },
};

export class CommandHandler {
  constructor(private readonly ctx: CommandContext) {}

  /** Handles one inbound frame; resolves once the reply went out. */
  async handle(frame: InboundFrame): Promise<void> {
    if (frame.type === "typed_command") return this.handleTyped(frame);
    const name = frame.type;
    try {
      const outcome = await this.execute(name, frame);
      this.ctx.send(outcome.rawReply ?? { type: "command_result", command: name, event: "result", result: outcome.result });
    } catch (error) {
      this.ctx.send({ type: "command_result", command: name, event: "error", error: this.describe(name, error) });
    }
  }

  private async handleTyped(frame: InboundFrame): Promise<void> {
    const id = frame.id;
    const name = typeof frame.command === "string" ? frame.command : "";
    const params = isRecord(frame.params) ? frame.params : {};
    this.ctx.send({ type: "command_result", id, command: name, event: "ack" });
    try {
      const { result } = await this.execute(name, params);
      this.ctx.send({ type: "command_result", id, command: name, event: "result", result });
    } catch (error) {
      this.ctx.send({ type: "command_result", id, command: name, event: "error", error: this.describe(name, error) });
    }
  }

  private describe(name: string, error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const level = error instanceof CommandError ? "info" : "warn";
    this.ctx.log[level]("command refused", { command: name || "(none)", reason: message });
    return message;
  }

  private async execute(name: string, params: Record<string, unknown>): Promise<Outcome> {
    const { control, sourceId } = this.ctx;
    switch (name) {
      case "ping":
        return { result: { pong: true }, rawReply: { type: "pong" } };
      case "start_stream": {
        const stream = { metrics: stringList(params.metrics, "metrics"), intervalMs: interval(params.interval_ms) };
        control.setStream(sourceId, stream);
        this.ctx.log.info("stream started", { metrics: stream.metrics.length || "all", interval_ms: stream.intervalMs });
        return { result: { streaming: true, metrics: stream.metrics, interval_ms: stream.intervalMs } };
      }
      case "stop_stream":
        control.setStream(sourceId, undefined);
        this.ctx.log.info("stream stopped");
        return { result: { streaming: false } };
      case "start_session":
        return this.startSession(params);
      case "stop_session": {
        const sessionId = typeof params.session_id === "string" ? params.session_id : undefined;
        control.setSession(sourceId, undefined);
        this.ctx.log.info("session stopped", { session_id: sessionId });
        return { result: { session_id: sessionId, stopped: true }, rawReply: { type: "session_stopped", session_id: sessionId } };
      }
      case "configure":
        return this.configure(params);
      default: {
        const byType = ADAPTER_TYPE_COMMANDS[name];
        if (byType) return this.setEnabled(name, byType, params);
        return this.adapterCommand(name, params);
      }
    }
  }

  private startSession(params: Record<string, unknown>): Outcome {
    const sessionId = params.session_id === undefined ? `session_${Date.now()}_${randomBytes(3).toString("hex")}` : params.session_id;
    if (typeof sessionId !== "string" || sessionId === "" || Buffer.byteLength(sessionId) > 256) {
      throw new CommandError("session_id must be a non-empty string of at most 256 bytes");
    }
    const sessionName = typeof params.session_name === "string" ? params.session_name : undefined;
    const metrics = stringList(params.metrics, "metrics");
    this.ctx.control.setSession(this.ctx.sourceId, { id: sessionId, name: sessionName });
    // A session that names metrics also asks for them to flow (on-demand adapters included).
    if (metrics.length > 0) this.ctx.control.setStream(this.ctx.sourceId, { metrics, intervalMs: interval(params.interval_ms) });
    this.ctx.log.info("session started", { session_id: sessionId, session_name: sessionName });
    return {
      result: { session_id: sessionId, session_name: sessionName },
      rawReply: { type: "session_started", session_id: sessionId, session_name: sessionName },
    };
  }

  private async configure(params: Record<string, unknown>): Promise<Outcome> {
    const sensor = params.sensor;
    if (typeof sensor !== "string" || sensor === "") throw new CommandError("configure needs `sensor` (an adapter id)");
    if (!isRecord(params.config)) throw new CommandError("configure needs `config` (an object of options)");
    const adapter = this.ownAdapters().find((a) => a.id === sensor);
    if (!adapter)
      throw new CommandError(
        `unknown sensor: ${sensor} (adapters: ${
          this.ownAdapters()
            .map((a) => a.id)
            .join(", ") || "none"
        })`,
      );
    const changed = await this.ctx.control.configureAdapter(sensor, params.config);
    this.ctx.log.info("adapter reconfigured", { sensor, keys: Object.keys(params.config).join(",") });
    return { result: { sensor, changed } };
  }

  private async setEnabled(name: string, rule: (typeof ADAPTER_TYPE_COMMANDS)[string], params: Record<string, unknown>): Promise<Outcome> {
    const ofType = this.ownAdapters().filter((a) => a.type === rule.type);
    if (ofType.length === 0) throw new CommandError(`${name}: no ${rule.type} adapter is configured for this source`);
    const wanted = rule.keys.map((key) => params[key]).find((value) => typeof value === "string" && value !== "") as string | undefined;
    const matching = wanted === undefined ? ofType : ofType.filter((a) => Object.values(a.options).some((value) => value === wanted));
    if (matching.length === 0) {
      throw new CommandError(`${name}: no ${rule.type} adapter matches "${wanted}" (configured: ${ofType.map((a) => a.id).join(", ")})`);
    }
    for (const adapter of matching) await this.ctx.control.setAdapterEnabled(adapter.id, rule.enabled);
    this.ctx.log.info(rule.enabled ? "adapters enabled" : "adapters disabled", { adapters: matching.map((a) => a.id).join(",") });
    return { result: { adapters: matching.map((a) => a.id), enabled: rule.enabled } };
  }

  /** A command some adapter declares (mavlink_command…); `sensor` picks one when several do. */
  private async adapterCommand(name: string, params: Record<string, unknown>): Promise<Outcome> {
    if (name === "") throw new CommandError("command name missing");
    let candidates = this.ownAdapters().filter((a) => a.commands.includes(name));
    if (typeof params.sensor === "string") candidates = candidates.filter((a) => a.id === params.sensor);
    if (candidates.length === 0) throw new CommandError(`unsupported command: ${name}`);
    if (candidates.length > 1) {
      throw new CommandError(`${name}: several adapters answer it (${candidates.map((a) => a.id).join(", ")}); name one in params.sensor`);
    }
    const result = await this.ctx.control.adapterCommand(candidates[0].id, name, params);
    return { result: { sensor: candidates[0].id, ...result } };
  }

  private ownAdapters(): AdapterSummary[] {
    return this.ctx.control.adapters().filter((a) => a.sourceId === this.ctx.sourceId);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw new CommandError(`${what} must be a list of strings`);
  return value as string[];
}

function interval(value: unknown): number {
  if (value === undefined || value === null) return 100;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > 3_600_000) {
    throw new CommandError("interval_ms must be a number between 1 and 3600000");
  }
  return value;
}
