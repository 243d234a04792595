/**
 * The `can` adapter: SocketCAN, slcan serial adapters or candump log replay, decoded with our own
 * compiled DBC decoder. Static imports stay light (zod options only): the DBC layer and the
 * transports load in start(), native modules (socketcan, serialport) only inside their transport.
 */
import { defineAdapter } from "../../src/adapter-contract.js";
import { lazyAdapter } from "../../src/lazy-adapter.js";
import { canOptions, dbcFiles } from "./options.js";

export default defineAdapter({
  type: "can",
  summary: "CAN bus (SocketCAN, slcan serial adapters, candump replay) decoded with a DBC file",
  options: canOptions,
  runtimeTunable: ["raw", "on_change", "deadband", "max_rate", "heartbeat", "signals", "include", "exclude", "labels"],
  async checkFiles(options, configDir) {
    const files = dbcFiles(options);
    if (files.length === 0) return [];
    const [{ loadDbcFiles }, { resolve }] = await Promise.all([import("./dbc/load.js"), import("node:path")]);
    const { problems } = await loadDbcFiles(files, configDir);
    // Which `dbc:` entry names the file: a missing one is reported at that line of the config.
    const option = (file: string) => {
      const index = files.findIndex((name) => resolve(configDir, name) === file);
      return Array.isArray(options.dbc) && index >= 0 ? ["dbc", index] : ["dbc"];
    };
    // FileProblem has no severity and `check` fails on any: warnings (a CM_ for a signal that no
    // longer exists, common in real DBCs) are logged at start instead.
    return problems
      .filter((p) => p.severity === "error")
      .map(({ file, line, col, message }) => ({ file, line, col, message, option: option(file) }));
  },
  create: (options, ctx) =>
    lazyAdapter(
      ctx,
      async () => new (await import("./adapter.js")).CanAdapter(options, ctx),
      () => ({
        description: `CAN ${options.interface} ${options.interface === "socketcan" ? options.channel : options.interface === "slcan" ? options.device : options.file}`,
      }),
    ),
});
