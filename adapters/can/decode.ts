/**
 * Frames → points. Pure apart from its own counters and filter state: no I/O, no timers.
 * Signals become `<message>.<signal>` (or the bare signal name), tagged `bus`; value-table
 * signals also send their label as the event `<metric>.label` when it changes; frames the DBC
 * does not know are counted and optionally sent as `raw.<ID>` hex events.
 */
import type { PointInput } from "../../src/pipeline/point.js";
import type { CompiledMessage } from "./dbc/compile.js";
import { type CompiledDatabase, DecodeScratch } from "./dbc/database.js";
import { type CanFrame, formatId, toHex } from "./frame.js";
import { BusHealth } from "./health.js";
import { pgnOf, sourceAddressOf } from "./j1939.js";
import type { FilterOptions } from "./options.js";
import { compilePattern } from "./patterns.js";
import { admit, resolvePolicy, type SignalPolicy, SignalState } from "./signal-filter.js";

export interface DecoderConfig {
  naming: "message" | "signal";
  labels: boolean;
  raw: "none" | "unknown" | "all";
  j1939: boolean;
  /** Overrides the `bus` tag (default: the frame's interface). */
  bus?: string;
  include?: string[];
  exclude: string[];
  defaults: FilterOptions;
  signals: Record<string, FilterOptions>;
}

interface SignalPlan {
  send: boolean;
  metric: string;
  labelMetric?: string;
  choices?: Map<number, string>;
  policy?: SignalPolicy;
  /** Index into SignalState arrays. */
  slot: number;
}

export class FrameDecoder {
  readonly health: BusHealth;
  private plans = new Map<CompiledMessage, SignalPlan[]>();
  private slots = 0;
  private readonly scratch: DecodeScratch;
  /**
   * Filter and label state per series source: keyed by the frame's tags object, of which there is
   * one per (interface, J1939 source address). Two buses in one log are two series each.
   */
  private readonly states = new Map<Record<string, string>, SignalState>();
  private readonly tagCache = new Map<string, Record<string, string>>();
  private config!: DecoderConfig;

  constructor(
    private readonly db: CompiledDatabase | undefined,
    config: DecoderConfig,
    /** Monotonic ms, for filter timing of frames without a capture time. */
    private readonly now: () => number,
  ) {
    this.health = new BusHealth(now);
    this.scratch = new DecodeScratch(db?.maxSignals ?? 1);
    this.configure(config);
  }

  /** Applies new naming/filter settings; filter state restarts (the next value of each signal is sent). */
  configure(config: DecoderConfig) {
    this.config = config;
    this.plans = new Map();
    this.states.clear();
    this.tagCache.clear();
    this.slots = 0;
    if (!this.db) return;
    const include = config.include?.map(compilePattern);
    const exclude = config.exclude.map(compilePattern);
    const overrides = Object.entries(config.signals).map(([pattern, options]) => ({ match: compilePattern(pattern), options }));
    for (const compiled of this.db.messages) {
      const messageName = compiled.message.name;
      const plans = compiled.signals.map((signal): SignalPlan => {
        const metric = config.naming === "signal" ? signal.name : `${messageName}.${signal.name}`;
        const selected =
          (!include || include.some((m) => m(messageName, signal.name))) && !exclude.some((m) => m(messageName, signal.name));
        const override = overrides.find((o) => o.match(messageName, signal.name))?.options;
        const hasLabels = config.labels && signal.choices !== undefined && signal.choices.size > 0;
        return {
          send: selected,
          metric,
          labelMetric: hasLabels ? `${metric}.label` : undefined,
          choices: hasLabels ? signal.choices : undefined,
          policy: resolvePolicy(config.defaults, override),
          slot: this.slots++,
        };
      });
      this.plans.set(compiled, plans);
    }
  }

  /** Decodes one frame, appending its points to `out`. */
  decode(frame: CanFrame, out: PointInput[]): void {
    const health = this.health.channel(frame.channel);
    health.frames++;
    health.windowFrames++;
    this.health.pending.frames++;
    if (frame.error) {
      health.errorFrames++;
      this.health.pending.error_frames++;
      return;
    }
    const j1939 = this.config.j1939 && frame.extended;
    const compiled = this.db ? (j1939 ? this.db.lookupPgn(pgnOf(frame.id)) : this.db.lookup(frame.id, frame.extended)) : undefined;
    const sourceAddress = j1939 ? sourceAddressOf(frame.id) : -1;
    const tags = this.tags(frame.channel, sourceAddress);
    if (!compiled) {
      health.noteUnknown(frame.extended ? frame.id + 0x20000000 : frame.id);
      this.health.pending.unknown_frames++;
      if (this.config.raw !== "none") out.push(this.rawPoint(frame, tags));
      return;
    }
    if (this.config.raw === "all") out.push(this.rawPoint(frame, tags));
    if (frame.rtr) return;
    const data = frame.data;
    if (data.length < compiled.message.length) {
      health.decodeErrors++;
      this.health.pending.decode_errors++;
    }
    const { idx, val, raw } = this.scratch;
    const n = compiled.decode(data, data.length, idx, val, raw);
    const plans = this.plans.get(compiled) as SignalPlan[];
    const timestamp = frame.timestampMs;
    let state: SignalState | undefined;
    for (let k = 0; k < n; k++) {
      const plan = plans[idx[k]];
      if (!plan.send) continue;
      const value = val[k];
      if (!Number.isFinite(value)) {
        this.health.pending.non_finite_values++;
        continue;
      }
      if (plan.policy || plan.labelMetric) state ??= this.state(tags);
      if (!plan.policy || admit(plan.policy, state as SignalState, plan.slot, value, timestamp ?? this.now())) {
        out.push({ metric: plan.metric, value, timestamp, tags });
      }
      // Labels go out on change, whatever the number's policy: they are rare and they matter.
      if (plan.labelMetric) {
        const rawValue = raw[k];
        const label = plan.choices?.get(rawValue) ?? String(rawValue);
        if ((state as SignalState).label[plan.slot] !== label) {
          (state as SignalState).label[plan.slot] = label;
          out.push({ metric: plan.labelMetric, value: label, timestamp, tags });
        }
      }
    }
  }

  private rawPoint(frame: CanFrame, tags: Record<string, string>): PointInput {
    return {
      metric: `raw.${formatId(frame.id, frame.extended)}`,
      value: frame.rtr ? "R" : toHex(frame.data),
      timestamp: frame.timestampMs,
      tags,
    };
  }

  /** The bus tag a channel's points carry. */
  busTag(channel: string): string {
    return this.config.bus ?? channel;
  }

  private tags(channel: string, sourceAddress: number): Record<string, string> {
    const key = sourceAddress < 0 ? channel : `${channel}\u0000${sourceAddress}`;
    let tags = this.tagCache.get(key);
    if (!tags) {
      tags = sourceAddress < 0 ? { bus: this.busTag(channel) } : { bus: this.busTag(channel), source_address: String(sourceAddress) };
      Object.freeze(tags);
      this.tagCache.set(key, tags);
    }
    return tags;
  }

  private state(tags: Record<string, string>): SignalState {
    let state = this.states.get(tags);
    if (!state) {
      state = new SignalState(this.slots);
      this.states.set(tags, state);
    }
    return state;
  }
}
