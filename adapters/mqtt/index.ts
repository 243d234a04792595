/**
 * MQTT adapter: subscribes to a broker (3.1.1 or 5, TLS, WebSockets) and maps JSON, plain
 * values, Influx line protocol, raw bytes and Sparkplug B to points. This file stays light: the
 * config schema imports it for every config; mqtt.js and protobufjs load in start().
 */
import type { Adapter, AdapterContext, CommandResult, FileProblem, SensorInfo } from "../../src/adapter-contract.js";
import { defineAdapter } from "../../src/adapter-contract.js";
import { type MqttOptions, mqttOptions } from "./options.js";
import { checkTlsFiles } from "./tls-files.js";

class LazyMqttAdapter implements Adapter {
  private inner: Adapter | undefined;
  private stopped = false;

  constructor(
    private readonly options: MqttOptions,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const { MqttAdapter } = await import("./adapter.js");
    // Stopped while the import ran: connecting now would leave a client no one owns.
    if (this.stopped) return;
    this.inner = new MqttAdapter(this.options, this.ctx);
    await this.inner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner?.stop();
  }

  async command(name: string, params: Record<string, unknown>): Promise<CommandResult> {
    if (!this.inner?.command) throw new Error(`${name}: the mqtt adapter "${this.ctx.id}" is not running`);
    return this.inner.command(name, params);
  }

  describe(): SensorInfo {
    return this.inner?.describe?.() ?? { description: `MQTT ${this.options.url.replace(/\/\/[^@/]*@/, "//")}` };
  }
}

export default defineAdapter({
  type: "mqtt",
  summary: "Subscribes to an MQTT broker (3.1.1/5, TLS): JSON, values, Influx line protocol, raw and Sparkplug B",
  options: mqttOptions,
  commands: ["mqtt_publish"],
  checkFiles: (options, configDir): Promise<FileProblem[]> => checkTlsFiles(options, configDir),
  create: (options, ctx) => new LazyMqttAdapter(options, ctx),
});
