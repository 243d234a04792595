/**
 * What the uplink's command handler may ask of the running bridge. The daemon implements it;
 * the command handler (src/uplink/commands.ts) only translates dashboard frames into these calls.
 */
import type { CommandResult } from "./adapter-contract.js";

export interface AdapterSummary {
  id: string;
  type: string;
  sourceId: string;
  enabled: boolean;
  /** The adapter's parsed options (to match start_can's channel or start_mavlink's connection). */
  options: Record<string, unknown>;
  /** Commands the adapter answers besides configure. */
  commands: readonly string[];
}

export interface StreamRequest {
  /** Full (prefixed) metric names; empty means every on-demand metric of the source. */
  metrics: string[];
  intervalMs: number;
}

export interface BridgeControl {
  adapters(): AdapterSummary[];
  /** Points of this source carry session_id (field and tag) until cleared. */
  setSession(sourceId: string, session: { id: string; name?: string } | undefined): void;
  /** Lets the `stream: on_demand` adapters of this source flow (latest value per interval), or stops them. */
  setStream(sourceId: string, stream: StreamRequest | undefined): void;
  setAdapterEnabled(id: string, enabled: boolean): Promise<void>;
  /** Validates against the adapter's runtime-tunable options; throws an Error whose message says why not. */
  configureAdapter(id: string, change: Record<string, unknown>): Promise<CommandResult>;
  /** Routes a command the adapter declares (e.g. mavlink_command); throws to refuse. */
  adapterCommand(id: string, name: string, params: Record<string, unknown>): Promise<CommandResult>;
}
