/**
 * The bridge side of the uplink benchmarks: pipeline (validation) → one source's queue → the
 * WebSocket uplink, as the daemon wires them, with a fake BridgeControl (benchmarks send no commands).
 */
import type { BridgeControl } from "../../src/bridge-control.js";
import { BridgeClock } from "../../src/clock.js";
import { ConsoleLogger } from "../../src/log.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { SourceQueue } from "../../src/pipeline/queue.js";
import { queueSection } from "../../src/pipeline/queue-options.js";
import { plexusSection } from "../../src/uplink/options.js";
import { Uplink } from "../../src/uplink/uplink.js";

const control: BridgeControl = {
  adapters: () => [],
  setSession() {},
  setStream() {},
  async setAdapterEnabled() {},
  async configureAdapter() {
    return {};
  },
  async adapterCommand() {
    return {};
  },
};

export interface UplinkRig {
  sourceId: string;
  pipeline: Pipeline;
  queue: SourceQueue;
  uplink: Uplink;
  emit(points: PointInput[]): boolean;
  pending(): number;
}

/** Starts the uplink and resolves once it is connected. */
export async function startUplinkRig(gatewayUrl: string, name: string, uplinkOptions: Record<string, unknown>): Promise<UplinkRig> {
  const clock = new BridgeClock();
  const log = new ConsoleLogger({ level: "warn" });
  const pipeline = new Pipeline(clock, log);
  const sourceId = `bench-${name.replace(/\W+/g, "-").toLowerCase()}`.replace(/-+$/, "");
  const queue = new SourceQueue(
    sourceId,
    queueSection.parse({ durability: "memory" }), // the shipped memory bounds
    pipeline.countersFor(sourceId),
    log,
  );
  pipeline.addQueue(queue);
  const origin = pipeline.addAdapter({ id: "bench", sourceId, prefix: "bench.", stream: "always" });
  const uplink = new Uplink({
    options: plexusSection.parse({ url: gatewayUrl, source_id: sourceId, ...uplinkOptions }),
    apiKey: "plx_bench",
    source: queue,
    clock,
    log,
    stateDir: "/tmp/plexus-bridge-bench-state",
    sensors: () => [],
    control,
    agentVersion: "bench",
  });
  uplink.start();
  while (!uplink.stats().connected) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    sourceId,
    pipeline,
    queue,
    uplink,
    emit: (points) => pipeline.ingest(origin, points),
    pending: () => pipeline.stats().sources[sourceId].pending,
  };
}
