/**
 * The serial adapter: GNSS receivers, marine instruments, scales, analysers and sensor boards on
 * a serial port (mostly USB-serial), in NMEA 0183 or a line/CSV/JSON/regex/binary format, with a
 * capture replay. serialport is imported by the transport, inside start(), so loading this file
 * for the config schema stays cheap.
 */
import { access, constants } from "node:fs/promises";
import { resolve } from "node:path";
import { type AdapterContext, defineAdapter, type FileProblem } from "../../src/adapter-contract.js";
import { SerialAdapter } from "./adapter.js";
import { serialOptions } from "./options.js";

export default defineAdapter({
  type: "serial",
  summary: "Reads serial devices (NMEA 0183 GNSS and marine, key=value, CSV, JSON, regex, binary frames), or replays a capture",
  options: serialOptions,
  // A replay's capture must be there; a device need not be (it is plugged in when it is plugged in).
  async checkFiles(options, configDir): Promise<FileProblem[]> {
    if (options.file === undefined) return [];
    const path = resolve(configDir, options.file);
    try {
      await access(path, constants.R_OK);
      return [];
    } catch (error) {
      return [{ file: path, line: 1, col: 1, message: `cannot read the capture to replay: ${(error as Error).message}` }];
    }
  },
  create: (options, ctx: AdapterContext) => new SerialAdapter(options, ctx),
});
