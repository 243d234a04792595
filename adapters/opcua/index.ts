/**
 * The opcua adapter: subscribes to (or polls) the nodes of one OPC-UA server, with security,
 * trust-on-first-use, browse discovery, and every subscription restored after a reconnect.
 * node-opcua (large) is imported inside start(), so loading this file for the config schema or
 * a gateway without OPC-UA never loads it.
 */
import { isAbsolute, join, resolve } from "node:path";
import { type Adapter, type AdapterContext, defineAdapter, type SensorInfo } from "../../src/adapter-contract.js";
import { installHint } from "../../src/install-hint.js";
import { type OpcuaOptions, opcuaOptions } from "./options.js";
import type { OpcuaRunner } from "./runner.js";

/**
 * node-opcua is not installed with the bridge (tens of MB a gateway without OPC-UA should not
 * carry): when it is missing, say how to add it, for this install, instead of a bare module error.
 */
function missingLibrary(error: NodeJS.ErrnoException): Error {
  if (error.code !== "ERR_MODULE_NOT_FOUND" || !/node-opcua/.test(error.message)) return error;
  return new Error(
    "OPC-UA needs node-opcua-client and node-opcua-certificate-manager, optional modules that are not installed: " +
      `run \`${installHint("node-opcua-client@2.186", "node-opcua-certificate-manager@2.186")}\``,
  );
}

const RUNTIME_TUNABLE = ["sampling_interval", "publishing_interval", "queue_size", "nodes"] as const;

export class OpcuaAdapter implements Adapter {
  private runner: OpcuaRunner | undefined;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private options: OpcuaOptions,
    private readonly ctx: AdapterContext,
  ) {}

  /** Where the client PKI lives: pki_dir, or <state_dir>/opcua/<adapter id>/pki. */
  pkiDir(): string {
    if (this.options.pki_dir)
      return isAbsolute(this.options.pki_dir) ? this.options.pki_dir : resolve(this.ctx.configDir, this.options.pki_dir);
    if (!this.ctx.stateDir) throw new Error("no state dir to keep the client certificate in: set pki_dir");
    return join(this.ctx.stateDir, "opcua", this.ctx.id, "pki");
  }

  async start(): Promise<void> {
    const [{ openClientPki }, { OpcuaRunner }] = await Promise.all([import("./pki.js"), import("./runner.js")]).catch((error) => {
      throw missingLibrary(error);
    });
    const pki = await openClientPki(this.pkiDir(), this.options.application_name, this.ctx.id, this.ctx.log);
    this.runner = new OpcuaRunner(this.options, this.ctx, pki);
    this.loop = this.runner.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  async configure(change: Record<string, unknown>): Promise<Record<string, unknown>> {
    const refused = Object.keys(change).filter((key) => !(RUNTIME_TUNABLE as readonly string[]).includes(key));
    if (refused.length > 0)
      throw new Error(`${refused.join(", ")} cannot be changed at run time (runtime-tunable: ${RUNTIME_TUNABLE.join(", ")})`);
    const parsed = opcuaOptions.safeParse({ ...this.options, ...change });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid ${issue.path.join(".") || "value"}: ${issue.message}`);
    }
    this.options = parsed.data;
    this.runner?.reconfigure(parsed.data);
    const applied: Record<string, unknown> = {};
    for (const key of Object.keys(change)) applied[key] = (parsed.data as Record<string, unknown>)[key];
    return applied;
  }

  async command(name: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (name !== "opcua_write") throw new Error(`unknown command ${name}`);
    const node = params.node;
    if (typeof node !== "string") throw new Error("opcua_write needs { node, value }");
    if (!this.options.allow_write.includes(node)) throw new Error(`writing ${node} is not allowed (allow_write)`);
    if (!this.runner) throw new Error("not started");
    const status = await this.runner.write(node, params.value);
    this.ctx.log.info("opcua_write", { node, status });
    if (status !== "Good") throw new Error(`the server refused the write: ${status}`);
    return { node, status };
  }

  describe(): SensorInfo {
    const metrics = this.runner?.metricNames ?? this.options.nodes.map((n) => n.name);
    return {
      description: `OPC-UA ${this.options.endpoint} (${this.options.mode})`,
      metrics: metrics.length > 0 ? metrics : undefined,
      sample_rate: this.options.sampling_interval > 0 ? 1000 / this.options.sampling_interval : undefined,
    };
  }

  /** For tests and the benchmark. */
  get state(): OpcuaRunner | undefined {
    return this.runner;
  }
}

export default defineAdapter({
  type: "opcua",
  summary: "Subscribes to (or polls) OPC-UA server nodes: security, trust on first use, browse discovery, restored after restarts",
  options: opcuaOptions,
  runtimeTunable: RUNTIME_TUNABLE,
  commands: ["opcua_write"],
  create: (options, ctx: AdapterContext) => new OpcuaAdapter(options, ctx),
});
