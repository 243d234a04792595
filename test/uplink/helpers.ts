/** Shared pieces of the uplink tests: a fake BridgeControl, option defaults, and the real pipeline wired to a queue. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { CommandResult } from "../../src/adapter-contract.js";
import type { AdapterSummary, BridgeControl, StreamRequest } from "../../src/bridge-control.js";
import type { BridgeClock } from "../../src/clock.js";
import { type Gateway, type GatewayOptions, startGateway } from "../../src/gateway/server.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { SourceQueue } from "../../src/pipeline/queue.js";
import { queueSection } from "../../src/pipeline/queue-options.js";
import { type PlexusOptions, plexusSection } from "../../src/uplink/options.js";
import { Uplink, type UplinkOptions } from "../../src/uplink/uplink.js";
import { MemoryLogger } from "../helpers/adapter-harness.js";

export function plexusOptions(overrides: Record<string, unknown>): PlexusOptions {
  return plexusSection.parse({ source_id: "test-source", ...overrides });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "plexus-uplink-"));
}

/**
 * BridgeControl as the daemon would answer it, recording every call. The daemon itself is
 * another engineer's; here only the calls the command handler makes matter.
 */
export class FakeControl implements BridgeControl {
  readonly calls: unknown[][] = [];
  session: { id: string; name?: string } | undefined;
  stream: StreamRequest | undefined;
  readonly enabled = new Map<string, boolean>();

  constructor(readonly list: AdapterSummary[]) {
    for (const adapter of list) this.enabled.set(adapter.id, adapter.enabled);
  }

  adapters(): AdapterSummary[] {
    return this.list.map((a) => ({ ...a, enabled: this.enabled.get(a.id) ?? a.enabled }));
  }
  setSession(sourceId: string, session: { id: string; name?: string } | undefined): void {
    this.calls.push(["setSession", sourceId, session]);
    this.session = session;
  }
  setStream(sourceId: string, stream: StreamRequest | undefined): void {
    this.calls.push(["setStream", sourceId, stream]);
    this.stream = stream;
  }
  async setAdapterEnabled(id: string, enabled: boolean): Promise<void> {
    this.calls.push(["setAdapterEnabled", id, enabled]);
    this.enabled.set(id, enabled);
  }
  async configureAdapter(id: string, change: Record<string, unknown>): Promise<CommandResult> {
    this.calls.push(["configureAdapter", id, change]);
    // Mirrors a runtime-tunable schema: poll_interval is tunable and must be a positive number.
    for (const [key, value] of Object.entries(change)) {
      if (key !== "poll_interval") throw new Error(`${key} is not runtime-tunable for ${id} (tunable: poll_interval)`);
      if (typeof value !== "number" || value <= 0)
        throw new Error(`poll_interval: expected a positive number, got ${JSON.stringify(value)}`);
    }
    return { poll_interval: change.poll_interval };
  }
  async adapterCommand(id: string, name: string, params: Record<string, unknown>): Promise<CommandResult> {
    this.calls.push(["adapterCommand", id, name, params]);
    return { accepted: true, command: params.command };
  }
}

export const noControl = new FakeControl([]);

/** The lead's real pipeline and queue for one source (memory durability), with one adapter route. */
export function realQueue(sourceId: string, clock: BridgeClock, log = new MemoryLogger(), memoryMaxPoints = 2_000_000) {
  const pipeline = new Pipeline(clock, log);
  const options = queueSection.parse({ durability: "memory", memory_max_points: memoryMaxPoints, memory_max_bytes: "2GiB" });
  const queue = new SourceQueue(sourceId, options, pipeline.countersFor(sourceId), log, undefined);
  pipeline.addQueue(queue);
  const origin = pipeline.addAdapter({ id: "gen", sourceId, prefix: "gen.", stream: "always" });
  return {
    pipeline,
    queue,
    emit: (points: PointInput[]) => pipeline.ingest(origin, points),
    counters: () => pipeline.stats().sources[sourceId],
  };
}

export function makeUplink(
  partial: Partial<UplinkOptions> & Pick<UplinkOptions, "options" | "source" | "clock">,
  log = new MemoryLogger(),
) {
  return new Uplink({
    apiKey: "plx_testkey_0123456789abcdef0123456789",
    log,
    stateDir: tempDir(),
    sensors: () => [{ name: "gen", description: "generator", metrics: ["gen.seq"], sample_rate: 1000 }],
    control: noControl,
    agentVersion: "0.1.0-test",
    ...partial,
  });
}

export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The gateways and uplinks a test starts, stopped and closed after it (uplinks first, so none
 * reconnects to a closed gateway): `const gateway = await closing.gateway()`,
 * `const uplink = closing.uplink(makeUplink(…))`.
 */
export function closedAfterEach() {
  const uplinks: Uplink[] = [];
  const gateways: Gateway[] = [];
  afterEach(async () => {
    for (const uplink of uplinks.splice(0)) await uplink.stop(0);
    for (const gateway of gateways.splice(0)) await gateway.close();
  });
  return {
    async gateway(options?: GatewayOptions): Promise<Gateway> {
      const gateway = await startGateway(options);
      gateways.push(gateway);
      return gateway;
    },
    uplink(uplink: Uplink): Uplink {
      uplinks.push(uplink);
      return uplink;
    },
  };
}
