/** Shared by the opcua tests: running the adapter against a TestServer and waiting on what it emits. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import definition, { type OpcuaAdapter } from "../../../adapters/opcua/index.js";
import type { PointInput } from "../../../src/pipeline/point.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { TestServer } from "./served.js";

export interface Running {
  harness: AdapterHarness;
  adapter: OpcuaAdapter;
  stop(): Promise<void>;
}

const tempDirs: string[] = [];

/** A fresh client PKI folder (removed by removeTempDirs). */
export function clientPkiDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "opcua-client-"));
  tempDirs.push(dir);
  return join(dir, "pki");
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * One test server for a whole test file (node-opcua servers are slow to start), started before
 * its tests and stopped after them with every adapter the file ran.
 */
export function serverForFile(defaults: (server: TestServer) => Record<string, unknown>) {
  const server = new TestServer();
  const running: Running[] = [];
  beforeAll(() => server.start(), 120_000);
  afterAll(async () => {
    for (const r of running) await r.stop();
    await server.close();
    removeTempDirs();
  });
  return {
    server,
    /** Runs an adapter on the server with the file's defaults under `options`. */
    async adapter(options: Record<string, unknown>, harness?: AdapterHarness): Promise<Running> {
      const r = await runAdapter({ endpoint: server.endpoint, ...defaults(server), ...options }, harness);
      running.push(r);
      return r;
    },
  };
}

export async function runAdapter(options: Record<string, unknown>, harness = new AdapterHarness({ id: "line1" })): Promise<Running> {
  const adapter = harness.create(definition, { reconnect_min: "200ms", reconnect_max: "2s", ...options }) as OpcuaAdapter;
  await adapter.start();
  return {
    harness,
    adapter,
    stop: async () => {
      harness.abort.abort();
      await adapter.stop();
    },
  };
}

export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The last point emitted for a metric. */
export function last(harness: AdapterHarness, metric: string): PointInput | undefined {
  for (let i = harness.points.length - 1; i >= 0; i--) if (harness.points[i].metric === metric) return harness.points[i];
  return undefined;
}

export function logged(harness: AdapterHarness, text: string): boolean {
  return harness.log.lines.some((line) => line.message.includes(text));
}
