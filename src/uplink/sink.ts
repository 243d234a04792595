/** The daemon's sinks as `run` makes them: one Uplink per source, with the config's plexus settings. */
import type { BridgeConfig } from "../config/index.js";
import type { SinkFactory } from "../daemon.js";
import { Uplink } from "./uplink.js";

export function uplinkSinks(config: BridgeConfig, stateDir: string, agentVersion: string): SinkFactory {
  return (context) =>
    new Uplink({
      options: config.plexus,
      apiKey: config.apiKey,
      source: context.queue,
      clock: context.clock,
      log: context.log,
      stateDir,
      sensors: context.sensors,
      control: context.control,
      agentVersion,
    });
}
