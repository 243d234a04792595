/**
 * The Sparkplug B host application's view of the edge nodes it hears: BIRTH certificates define
 * names, aliases and datatypes; DATA is resolved through them; DEATH (with a matching bdSeq)
 * marks a node or device offline; `seq` gaps are counted. Pure: the adapter publishes the
 * rebirth requests this returns. Metric names: `{group}.{edge_node}[.{device}].{name, "/" → "."}`.
 */
import type { PointInput } from "../../../src/pipeline/point.js";
import { decodeSparkplug, type SparkplugMetric, type SparkplugPayload, toNumber } from "./codec.js";
import { convertValue } from "./values.js";

export interface SparkplugHostOptions {
  rebirth: boolean;
  rebirthIntervalMs: number;
}

export interface SparkplugResult {
  points: PointInput[];
  /** An NCMD topic to publish a rebirth request on (already rate limited). */
  rebirth?: string;
}

interface Definition {
  name: string;
  datatype: number;
  /** The point's metric name, `{group}.{node}[.{device}].{name, "/" → "."}`, made once at the BIRTH. */
  metric?: string;
}

/** What one BIRTH defined: the node's own metrics, or one device's. */
interface Scope {
  aliases: Map<number, Definition>;
  /** By name: the datatype and the point's metric name. */
  names: Map<string, Definition>;
  online: boolean;
}

interface NodeState {
  group: string;
  node: string;
  born: boolean;
  bdSeq?: number;
  lastSeq?: number;
  scope: Scope;
  devices: Map<string, Scope>;
  lastRebirthMs: number;
  /** DATA waiting for a BIRTH to resolve its aliases (rebirth: true only). */
  held: { type: string; device?: string; payload: SparkplugPayload }[];
}

const NAMESPACE = "spBv1.0";
const MAX_HELD_PER_NODE = 1000;
const MESSAGE_TYPES = new Set(["NBIRTH", "NDEATH", "DBIRTH", "DDEATH", "NDATA", "DDATA", "NCMD", "DCMD"]);

export class MalformedSparkplug extends Error {}

export class SparkplugHost {
  private readonly nodes = new Map<string, NodeState>();

  constructor(
    private readonly options: SparkplugHostOptions,
    private readonly count: (name: string, n?: number) => void,
    private readonly nowMs: () => number,
  ) {}

  /** Handles one message of the spBv1.0 namespace. Throws MalformedSparkplug on a payload that does not decode. */
  handle(topic: string, bytes: Uint8Array): SparkplugResult {
    const parts = topic.split("/");
    if (parts[0] !== NAMESPACE || parts[1] === "STATE") return { points: [] };
    const [, group, type, node, device] = parts;
    if (!MESSAGE_TYPES.has(type) || !node || parts.length > 5) throw new MalformedSparkplug(`not a Sparkplug B topic: ${topic}`);
    // Commands are for the edge nodes; a host hears them only when subscribed to #.
    if (type === "NCMD" || type === "DCMD") return { points: [] };
    let payload: SparkplugPayload;
    try {
      payload = decodeSparkplug(bytes);
    } catch (error) {
      throw new MalformedSparkplug(`not a Sparkplug B payload: ${(error as Error).message}`);
    }
    const state = this.nodeState(group, node);
    const result: SparkplugResult = { points: [] };
    if (type !== "NDEATH") this.checkSeq(state, type, payload, result);
    switch (type) {
      case "NBIRTH":
        this.birth(state, state.scope, payload, result);
        state.born = true;
        state.bdSeq = bdSeqOf(payload);
        for (const device of state.devices.values()) device.online = false;
        this.releaseHeld(state, result);
        break;
      case "DBIRTH": {
        const scope = state.devices.get(device) ?? emptyScope();
        state.devices.set(device, scope);
        this.birth(state, scope, payload, result, device);
        this.releaseHeld(state, result);
        break;
      }
      case "NDEATH":
        this.nodeDeath(state, payload, result);
        break;
      case "DDEATH": {
        const scope = state.devices.get(device);
        if (scope) scope.online = false;
        result.points.push({ metric: `${prefixOf(state, device)}.sparkplug_state`, value: "offline", ...payloadTime(payload) });
        break;
      }
      default:
        this.data(state, type, device, payload, result);
    }
    return result;
  }

  /** Nodes and devices that sent a BIRTH and then a DEATH: for the adapter's status line. */
  offline(): string[] {
    const out: string[] = [];
    for (const state of this.nodes.values()) {
      if (state.born && !state.scope.online) out.push(`${state.group}/${state.node}`);
      else for (const [name, scope] of state.devices) if (!scope.online) out.push(`${state.group}/${state.node}/${name}`);
    }
    return out;
  }

  private nodeState(group: string, node: string): NodeState {
    const key = `${group}/${node}`;
    let state = this.nodes.get(key);
    if (!state) {
      state = { group, node, born: false, scope: emptyScope(), devices: new Map(), lastRebirthMs: -Infinity, held: [] };
      this.nodes.set(key, state);
    }
    return state;
  }

  /** seq runs 0–255 and wraps, across NBIRTH, DBIRTH, NDATA, DDATA and DDEATH of one node; NBIRTH starts it again. */
  private checkSeq(state: NodeState, type: string, payload: SparkplugPayload, result: SparkplugResult): void {
    if (!Object.hasOwn(payload, "seq")) return;
    const seq = toNumber(payload.seq) & 0xff;
    if (type !== "NBIRTH" && state.lastSeq !== undefined && seq !== ((state.lastSeq + 1) & 0xff)) {
      this.count("sparkplug_seq_gaps");
      this.requestRebirth(state, result);
    }
    state.lastSeq = seq;
  }

  private birth(state: NodeState, scope: Scope, payload: SparkplugPayload, result: SparkplugResult, device?: string): void {
    scope.aliases.clear();
    scope.names.clear();
    scope.online = true;
    const prefix = prefixOf(state, device);
    for (const metric of payload.metrics) {
      if (!metric.name) continue;
      const definition = { name: metric.name, datatype: metric.datatype, metric: metricName(prefix, metric.name) };
      scope.names.set(metric.name, definition);
      if (Object.hasOwn(metric, "alias")) scope.aliases.set(toNumber(metric.alias), definition);
    }
    result.points.push({ metric: `${prefix}.sparkplug_state`, value: "online", ...payloadTime(payload) });
    this.pushMetrics(prefix, scope, payload, result);
  }

  private nodeDeath(state: NodeState, payload: SparkplugPayload, result: SparkplugResult): void {
    const bdSeq = bdSeqOf(payload);
    // A will from an older session arriving after the new BIRTH must not mark the live node dead.
    if (state.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== state.bdSeq) {
      this.count("sparkplug_stale_deaths");
      return;
    }
    state.scope.online = false;
    for (const device of state.devices.values()) device.online = false;
    state.lastSeq = undefined;
    result.points.push({ metric: `${prefixOf(state)}.sparkplug_state`, value: "offline", ...payloadTime(payload) });
  }

  private data(state: NodeState, type: string, device: string | undefined, payload: SparkplugPayload, result: SparkplugResult): void {
    const scope = device === undefined ? state.scope : state.devices.get(device);
    if (this.options.rebirth && (!scope || hasUnknownAlias(scope, payload.metrics))) {
      if (state.held.length >= MAX_HELD_PER_NODE) {
        state.held.shift();
        this.count("sparkplug_held_dropped");
      }
      state.held.push({ type, device, payload });
      this.count("sparkplug_held_messages");
      this.requestRebirth(state, result);
      return;
    }
    this.pushMetrics(prefixOf(state, device), scope ?? emptyScope(), payload, result);
  }

  /** After a BIRTH: the held DATA whose aliases now resolve goes out, in arrival order. */
  private releaseHeld(state: NodeState, result: SparkplugResult): void {
    if (state.held.length === 0) return;
    const waiting = state.held;
    state.held = [];
    for (const entry of waiting) {
      const scope = entry.device === undefined ? state.scope : state.devices.get(entry.device);
      if (!scope) {
        state.held.push(entry);
        continue;
      }
      this.pushMetrics(prefixOf(state, entry.device), scope, entry.payload, result);
    }
  }

  private pushMetrics(prefix: string, scope: Scope, payload: SparkplugPayload, result: SparkplugResult): void {
    const payloadTs = Object.hasOwn(payload, "timestamp") ? toNumber(payload.timestamp) : undefined;
    for (const metric of payload.metrics) {
      const definition = resolve(scope, metric);
      if (!definition) {
        this.count("sparkplug_unknown_aliases");
        continue;
      }
      if (metric.isNull) {
        this.count("sparkplug_null_values");
        continue;
      }
      if (metric.value === undefined) {
        this.count("sparkplug_missing_values");
        continue;
      }
      const converted = convertValue(metric, definition.datatype);
      if (converted.counter) this.count(converted.counter);
      if (converted.value === undefined) continue;
      const point: PointInput = { metric: definition.metric ?? metricName(prefix, definition.name), value: converted.value };
      const timestamp = Object.hasOwn(metric, "timestamp") ? toNumber(metric.timestamp) : payloadTs;
      if (timestamp !== undefined) point.timestamp = timestamp;
      result.points.push(point);
    }
  }

  private requestRebirth(state: NodeState, result: SparkplugResult): void {
    if (!this.options.rebirth) return;
    const now = this.nowMs();
    if (now - state.lastRebirthMs < this.options.rebirthIntervalMs) return;
    state.lastRebirthMs = now;
    result.rebirth = `${NAMESPACE}/${state.group}/NCMD/${state.node}`;
    this.count("sparkplug_rebirth_requests");
  }
}

function emptyScope(): Scope {
  return { aliases: new Map(), names: new Map(), online: false };
}

function metricName(prefix: string, name: string): string {
  return `${prefix}.${name.replaceAll("/", ".")}`;
}

function prefixOf(state: NodeState, device?: string): string {
  return device === undefined ? `${state.group}.${state.node}` : `${state.group}.${state.node}.${device}`;
}

function payloadTime(payload: SparkplugPayload): { timestamp?: number } {
  return Object.hasOwn(payload, "timestamp") ? { timestamp: toNumber(payload.timestamp) } : {};
}

function bdSeqOf(payload: SparkplugPayload): number | undefined {
  const metric = payload.metrics.find((m) => m.name === "bdSeq");
  if (!metric || metric.value === undefined) return undefined;
  return metric.value === "longValue" ? toNumber(metric.longValue) : metric.intValue;
}

/** The metric's name and datatype: its own where it has them, else from the BIRTH by alias or name. */
function resolve(scope: Scope, metric: SparkplugMetric): Definition | undefined {
  let known: Definition | undefined;
  if (metric.name) {
    known = scope.names.get(metric.name);
    if (!known) return metric.datatype ? { name: metric.name, datatype: metric.datatype } : undefined;
  } else if (Object.hasOwn(metric, "alias")) known = scope.aliases.get(toNumber(metric.alias));
  if (!known) return undefined;
  // DATA may restate the datatype; the BIRTH's name (and metric name) stand.
  return !metric.datatype || metric.datatype === known.datatype ? known : { ...known, datatype: metric.datatype };
}

function hasUnknownAlias(scope: Scope, metrics: SparkplugMetric[]): boolean {
  for (const metric of metrics) if (!resolve(scope, metric)) return true;
  return false;
}

/** The NCMD payload that asks an edge node to publish its BIRTH certificates again. */
export function rebirthPayload(nowMs: number): Record<string, unknown> {
  return { timestamp: nowMs, metrics: [{ name: "Node Control/Rebirth", timestamp: nowMs, datatype: 11, booleanValue: true }] };
}
