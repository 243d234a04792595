/** The running adapter: the runtime (decoders, per-device state) and the configured transport. */
import type { Adapter, AdapterContext } from "../../src/adapter-contract.js";
import type { BleOptions } from "./options.js";
import { BleRuntime } from "./runtime.js";
import { HcidumpReplay } from "./transport/hcidump-replay.js";
import { LiveTransport } from "./transport/live.js";
import type { Radio } from "./transport/radio.js";

interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class BleAdapter implements Adapter {
  private readonly runtime: BleRuntime;
  private readonly transport: Transport;

  constructor(
    options: BleOptions,
    ctx: AdapterContext,
    openRadio: (iface: string) => Promise<Radio> = async (iface) => (await import("./transport/radio.js")).openNobleRadio(iface),
  ) {
    this.runtime = new BleRuntime(options, ctx);
    this.transport =
      options.interface === "hcidump"
        ? new HcidumpReplay(
            { file: options.file as string, speed: options.speed, intervalMs: options.interval, loop: options.loop },
            this.runtime,
            ctx,
          )
        : new LiveTransport(options, this.runtime, ctx, openRadio);
  }

  async start(): Promise<void> {
    await this.transport.start();
  }

  async stop(): Promise<void> {
    await this.transport.stop();
    this.runtime.stop();
  }
}
