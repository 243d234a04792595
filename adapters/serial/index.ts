/**
 * The serial adapter: GNSS receivers, marine instruments, scales, analysers and sensor boards on
 * a serial port (mostly USB-serial), in NMEA 0183 or a line/CSV/JSON/regex/binary format, with a
 * capture replay. serialport is imported by the transport, inside start(), so loading this file
 * for the config schema stays cheap.
 */
import { type AdapterContext, defineAdapter } from "../../src/adapter-contract.js";
import { SerialAdapter } from "./adapter.js";
import { serialOptions } from "./options.js";

export default defineAdapter({
  type: "serial",
  summary: "Reads serial devices (NMEA 0183 GNSS and marine, key=value, CSV, JSON, regex, binary frames), or replays a capture",
  options: serialOptions,
  create: (options, ctx: AdapterContext) => new SerialAdapter(options, ctx),
});
