/** The uplink's public surface, for the daemon and the CLI. */
export { plexusProblems } from "./check.js";
export type { UplinkCounters } from "./counters.js";
export type { Severity } from "./device-errors.js";
export { type PlexusOptions, plexusSection, sourceId } from "./options.js";
export { type DeviceSensor, deviceWebSocketUrl, ingestUrl } from "./protocol.js";
export { defaultStateDir, UplinkState } from "./state.js";
export { Uplink, type UplinkOptions, type UplinkStats, type UplinkStatus } from "./uplink.js";
