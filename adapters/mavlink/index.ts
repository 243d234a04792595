/**
 * MAVLink adapter: drones, rovers, boats and subs (PX4, ArduPilot) over UDP, TCP, serial or a
 * .tlog replay. This file stays light: the config schema imports it for every config, so the
 * implementation (node-mavlink, mavlink-mappings, serialport) is imported only in start().
 */
import { access, constants } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import {
  type Adapter,
  type AdapterContext,
  type CommandResult,
  defineAdapter,
  type FileProblem,
  type SensorInfo,
} from "../../src/adapter-contract.js";
import { readErrorReason } from "../../src/file-errors.js";
import { parseConnection } from "./connection-url.js";
import { type MavlinkOptions, mavlinkOptions } from "./options.js";

class LazyMavlinkAdapter implements Adapter {
  private inner: Adapter | undefined;
  private stopped = false;

  constructor(
    private readonly options: MavlinkOptions,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const { MavlinkAdapter } = await import("./adapter.js");
    // The supervisor may stop us while the import runs; starting after that would leave a socket
    // or port open that no one owns, and the restarted adapter could not bind it.
    if (this.stopped) return;
    this.inner = new MavlinkAdapter(this.options, this.ctx);
    await this.inner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner?.stop();
  }

  async configure(change: Record<string, unknown>): Promise<CommandResult> {
    if (!this.inner?.configure) throw new Error(`the mavlink adapter "${this.ctx.id}" is not running`);
    return this.inner.configure(change);
  }

  async command(name: string, params: Record<string, unknown>): Promise<CommandResult> {
    if (!this.inner?.command) throw new Error(`${name}: the mavlink adapter "${this.ctx.id}" is not running`);
    return this.inner.command(name, params);
  }

  describe(): SensorInfo {
    return this.inner?.describe?.() ?? { description: `MAVLink over ${this.options.connection}` };
  }
}

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
  create: (options, ctx) => new LazyMavlinkAdapter(options, ctx),
});
