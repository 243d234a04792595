/**
 * An adapter whose implementation is imported by start(), so that validating a config, or a
 * gateway that does not use this adapter, never loads its code and the libraries behind it
 * (native modules, large protocol stacks). A stop() that lands while the import runs wins: the
 * implementation is then never started, so no socket or port is left open without an owner.
 */
import type { Adapter, AdapterContext, CommandResult, SensorInfo } from "./adapter-contract.js";

export function lazyAdapter(ctx: AdapterContext, load: () => Promise<Adapter>, describe: () => SensorInfo): Adapter {
  let inner: Adapter | undefined;
  let stopped = false;
  const running = (what: string): Adapter => {
    if (!inner) throw new Error(`${what}: adapter "${ctx.id}" is not running`);
    return inner;
  };
  return {
    async start() {
      const adapter = await load();
      if (stopped) return;
      inner = adapter;
      await adapter.start();
    },
    async stop() {
      stopped = true;
      await inner?.stop();
    },
    async configure(change): Promise<CommandResult> {
      const adapter = running("configure");
      if (!adapter.configure) throw new Error(`adapter "${ctx.id}" has nothing to configure at run time`);
      return adapter.configure(change);
    },
    async command(name, params): Promise<CommandResult> {
      const adapter = running(name);
      if (!adapter.command) throw new Error(`${name}: adapter "${ctx.id}" takes no commands`);
      return adapter.command(name, params);
    },
    describe: () => inner?.describe?.() ?? describe(),
  };
}
