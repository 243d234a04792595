/**
 * MAVLink adapter: drones, rovers, boats and subs (PX4, ArduPilot) over UDP, TCP, serial or a
 * .tlog replay. This file stays light: the config schema imports it for every config, so the
 * implementation (node-mavlink, mavlink-mappings, serialport) is imported only in start().
 */
import { access, constants } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { defineAdapter, type FileProblem } from "../../src/adapter-contract.js";
import { readErrorReason } from "../../src/file-errors.js";
import { lazyAdapter } from "../../src/lazy-adapter.js";
import { parseConnection } from "./connection-url.js";
import { mavlinkOptions } from "./options.js";

export default defineAdapter({
  type: "mavlink",
  summary: "MAVLink v1/v2 telemetry from PX4/ArduPilot vehicles over UDP, TCP, serial or a .tlog replay",
  options: mavlinkOptions,
  commands: ["mavlink_command"],
  // What becomes points may change at run time; allow_commands never does (arming must stay a config decision).
  runtimeTunable: ["include", "exclude", "rates", "angles"],
  async checkFiles(options, configDir): Promise<FileProblem[]> {
    const connection = parseConnection(options.connection);
    if (connection.kind !== "tlog") return [];
    const path = isAbsolute(connection.path) ? connection.path : resolve(configDir, connection.path);
    try {
      await access(path, constants.R_OK);
      return [];
    } catch (error) {
      return [
        { file: path, line: 0, col: 0, message: `cannot read tlog replay file ${path}: ${readErrorReason(error)}`, option: ["connection"] },
      ];
    }
  },
  create: (options, ctx) =>
    lazyAdapter(
      ctx,
      async () => new (await import("./adapter.js")).MavlinkAdapter(options, ctx),
      () => ({ description: `MAVLink over ${options.connection}` }),
    ),
});
