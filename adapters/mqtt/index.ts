/**
 * MQTT adapter: subscribes to a broker (3.1.1 or 5, TLS, WebSockets) and maps JSON, plain
 * values, Influx line protocol, raw bytes and Sparkplug B to points. This file stays light: the
 * config schema imports it for every config; mqtt.js and the Sparkplug codec load in start().
 */
import type { FileProblem } from "../../src/adapter-contract.js";
import { defineAdapter } from "../../src/adapter-contract.js";
import { lazyAdapter } from "../../src/lazy-adapter.js";
import { mqttOptions } from "./options.js";
import { checkTlsFiles } from "./tls-files.js";

export default defineAdapter({
  type: "mqtt",
  summary: "Subscribes to an MQTT broker (3.1.1/5, TLS): JSON, values, Influx line protocol, raw and Sparkplug B",
  options: mqttOptions,
  commands: ["mqtt_publish"],
  checkFiles: (options, configDir): Promise<FileProblem[]> => checkTlsFiles(options, configDir),
  create: (options, ctx) =>
    lazyAdapter(
      ctx,
      async () => new (await import("./adapter.js")).MqttAdapter(options, ctx),
      // The URL without credentials: it goes into device_auth.sensors.
      () => ({ description: `MQTT ${options.url.replace(/\/\/[^@/]*@/, "//")}` }),
    ),
});
