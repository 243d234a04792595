/**
 * Message definitions of a dialect, from mavlink-mappings (generated from the MAVLink XML).
 * Only reached through the dynamic import in index.ts: mavlink-mappings is large.
 */

import type { MavLinkData, MavLinkDataConstructor, MavLinkPacketRegistry } from "mavlink-mappings";
import { ardupilotmega, common, icarous, minimal, standard, uavionix } from "mavlink-mappings";

export type DialectName = "common" | "ardupilotmega";
export type MessageClass = MavLinkDataConstructor<MavLinkData>;

/** The include chain of each dialect's XML (ardupilotmega → common → standard → minimal, plus its extras). */
const CHAINS: Record<DialectName, MavLinkPacketRegistry[]> = {
  common: [minimal.REGISTRY, standard.REGISTRY, common.REGISTRY],
  ardupilotmega: [minimal.REGISTRY, standard.REGISTRY, common.REGISTRY, uavionix.REGISTRY, icarous.REGISTRY, ardupilotmega.REGISTRY],
};

const cache = new Map<DialectName, Map<number, MessageClass>>();

export function dialectMessages(name: DialectName): Map<number, MessageClass> {
  let messages = cache.get(name);
  if (!messages) {
    messages = new Map();
    for (const registry of CHAINS[name]) {
      for (const clazz of Object.values(registry)) messages.set(clazz.MSG_ID, clazz);
    }
    cache.set(name, messages);
  }
  return messages;
}

export function messageByName(name: DialectName, messageName: string): MessageClass | undefined {
  for (const clazz of dialectMessages(name).values()) if (clazz.MSG_NAME === messageName) return clazz;
  return undefined;
}
