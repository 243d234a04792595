/**
 * The contract between the core and an adapter. The core imports nothing of an adapter but the
 * `AdapterDefinition` its index.ts exports as default; an adapter imports nothing of the core
 * but this file, the point types, the logger and clock interfaces, and the config unit helpers.
 */
import type { z } from "zod";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import type { PointInput } from "./pipeline/point.js";

export type AdapterState = "connecting" | "up" | "down";

/** What goes into device_auth.sensors for this adapter. */
export interface SensorInfo {
  description: string;
  metrics?: string[];
  sample_rate?: number;
}

/** A problem found in a file the adapter's options point to (a DBC, a register map). */
export interface FileProblem {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole (missing, unreadable). */
  line: number;
  col: number;
  message: string;
  /**
   * Where in the adapter's options the file is named (["dbc", 1], ["devices", 0, "map"]): the
   * problem carries that config path, and a file that cannot be read is reported at that line.
   */
  option?: PropertyKey[];
}

export interface AdapterContext {
  /** The YAML key, e.g. "plc_hall_1". */
  id: string;
  log: Logger;
  clock: Clock;
  /** Aborted when the adapter must stop. */
  signal: AbortSignal;
  /** Folder of the config file: relative paths in options are resolved against it. */
  configDir: string;
  /** This installation's stable id (state directory), for names a peer must see stay the same (an MQTT client id). */
  installId?: string;
  /** The bridge's state dir, for what an adapter must keep across restarts (OPC-UA's PKI). */
  stateDir?: string;
  /**
   * Hands points to the pipeline. Returns false when the queue is over its high-water mark:
   * an adapter that can pause (polling, replay, serial, MQTT QoS>=1) waits for `drained()`.
   */
  emit(points: PointInput[]): boolean;
  /** Resolves when the queue can take more. */
  drained(): Promise<void>;
  /** Connection state, shown in status and sent up as a device_error on change. */
  status(state: AdapterState, detail?: string): void;
  /** Adapter health counters (decode errors, CRC errors, unknown ids…): `plexus-bridge status`, the status page, /metrics. */
  count(name: string, n?: number): void;
  /** The source is exhausted (a replay reached its end without `loop`): `tail` exits once all are. */
  finished(): void;
}

export interface CommandResult {
  [key: string]: unknown;
}

export interface Adapter {
  /** Opens the transport. Reconnecting after a loss is the adapter's job, with backoff. */
  start(): Promise<void>;
  /** Stops and releases everything; bounded by the daemon's deadline. */
  stop(): Promise<void>;
  /** Applies runtime-tunable options (already validated); returns what changed. */
  configure?(change: Record<string, unknown>): Promise<CommandResult>;
  /** A dashboard command routed to this adapter (e.g. mavlink_command). Throw to refuse. */
  command?(name: string, params: Record<string, unknown>): Promise<CommandResult>;
  describe?(): SensorInfo;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds definitions of any option shape.
export interface AdapterDefinition<S extends z.ZodType = any> {
  /** The YAML `type`, equal to the adapter's folder name. */
  type: string;
  /** One line for `plexus-bridge adapters`. */
  summary: string;
  /** Options schema (a z.object). Core keys (type, source_id, prefix, tags, stream) are added by the core. */
  options: S;
  /** Option keys that `configure` may change at run time. */
  runtimeTunable?: readonly string[];
  /** Commands this adapter answers besides `configure` (e.g. "mavlink_command"). */
  commands?: readonly string[];
  /** Checks files the options name (DBC, register maps) during `check`; no other I/O. */
  checkFiles?(options: z.output<S>, configDir: string): Promise<FileProblem[]>;
  /** Builds the adapter. No I/O here: that belongs in start(). */
  create(options: z.output<S>, ctx: AdapterContext): Adapter;
}

export function defineAdapter<S extends z.ZodType>(definition: AdapterDefinition<S>): AdapterDefinition<S> {
  return definition;
}
