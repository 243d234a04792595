/**
 * What the tests that poll an in-process Modbus server share: the server and the adapter of the
 * current test, both stopped after it (adapter first, so it never polls a closed server).
 */
import { afterEach } from "vitest";
import modbus, { type ModbusAdapter } from "../../../adapters/modbus/index.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { ModbusTestServer } from "./modbus-test-server.js";

export function servedModbus(defaults: { id: string; interval: string }) {
  let server: ModbusTestServer | undefined;
  let stopAdapter: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopAdapter?.();
    await server?.close();
    stopAdapter = undefined;
    server = undefined;
  });
  return {
    /** A new server, listening on a free loopback port; closed after the test. */
    async serve(framing: "tcp" | "rtu" = "tcp"): Promise<ModbusTestServer> {
      server = new ModbusTestServer(framing);
      await server.listen();
      return server;
    },
    /** A modbus adapter started against the server; stopped after the test. */
    async start(
      options: Record<string, unknown>,
      { harness = new AdapterHarness({ id: defaults.id }), scheme = "tcp" }: { harness?: AdapterHarness; scheme?: "tcp" | "rtu+tcp" } = {},
    ) {
      const url = `${scheme}://127.0.0.1:${server!.port}`;
      const adapter = harness.create(modbus, { url, interval: defaults.interval, ...options }) as ModbusAdapter;
      await adapter.start();
      stopAdapter = () => adapter.stop();
      return { harness, adapter };
    },
    /** The adapter to stop after the test instead (undefined: the test stopped it itself). */
    stopAfter(adapter: ModbusAdapter | undefined): void {
      stopAdapter = adapter && (() => adapter.stop());
    },
  };
}
