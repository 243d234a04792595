/** Options, NodeId texts and namespace resolution, globs, and the lazy loading of node-opcua. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import opcua from "../../../adapters/opcua/index.js";
import { globMatcher, parseNodeIdText, resolveNodeIdText } from "../../../adapters/opcua/node-id.js";
import { repoRoot } from "../../helpers/child.js";

const parse = (options: Record<string, unknown>) => opcua.options.parse(options);
const base = { endpoint: "opc.tcp://10.0.0.20:4840", nodes: [{ node_id: "ns=2;s=Line1.Speed", name: "speed" }] };

describe("loading", () => {
  it("does not load node-opcua until start()", () => {
    // A resolve hook that fails any node-opcua import, then the config schema's use of the adapter.
    const hook = `export async function resolve(s, c, next) { if (s.startsWith("node-opcua")) throw new Error("loaded " + s); return next(s, c); }`;
    const script = `
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
      const { loadAdapter } = await import("./src/adapters.ts");
      const definition = await loadAdapter("opcua");
      definition.options.parse(${JSON.stringify(base)});
      const adapter = definition.create(definition.options.parse(${JSON.stringify(base)}), { id: "x", configDir: "." });
      console.log(definition.type, typeof adapter.start);`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(out.trim()).toBe("opcua function");
  });
});

describe("options", () => {
  it("fills the defaults", () => {
    expect(parse(base)).toMatchObject({
      security_mode: "None",
      security_policy: "Basic256Sha256",
      auth: "anonymous",
      trust: "tofu",
      publishing_interval: 500,
      sampling_interval: 100,
      queue_size: 10,
      timestamps: "source",
      mode: "subscribe",
      allow_write: [],
    });
  });

  it("takes the issue's example config", () => {
    const options = parse({
      endpoint: "opc.tcp://10.0.0.20:4840",
      security_mode: "SignAndEncrypt",
      security_policy: "Aes256_Sha256_RsaPss",
      auth: { username: "bridge", password: "x" },
      trust: "strict",
      publishing_interval: "500ms",
      sampling_interval: "100ms",
      nodes: [
        { node_id: "ns=2;s=Line1.Speed", name: "speed", unit: "m/min" },
        { node_id: "nsu=urn:plant:line1;s=Temperature", name: "temperature", deadband: { type: "absolute", value: 0.5 } },
        { browse_path: "/Objects/Line1/Motor/Current", name: "motor_current" },
      ],
      browse: [{ root: "ns=2;s=Line1", depth: 3, include: ["*"], exclude: ["*.Diagnostics.*"] }],
      timestamps: "source",
      mode: "subscribe",
    });
    expect(options.nodes).toHaveLength(3);
    expect(options.browse[0].depth).toBe(3);
  });

  it("refuses what cannot work, with the reason", () => {
    expect(() => parse({ ...base, endpoint: "http://x" })).toThrow(/opc\.tcp/);
    expect(() => parse({ ...base, nodes: [{ node_id: "Line1.Speed", name: "a" }] })).toThrow(/is not a NodeId/);
    expect(() => parse({ ...base, nodes: [{ name: "a" }] })).toThrow(/either node_id or browse_path/);
    expect(() => parse({ ...base, nodes: [{ node_id: "i=1", browse_path: "/Objects/X", name: "a" }] })).toThrow(
      /either node_id or browse_path/,
    );
    expect(() =>
      parse({ ...base, mode: "poll", nodes: [{ node_id: "i=1", name: "a", deadband: { type: "absolute", value: 1 } }] }),
    ).toThrow(/deadband needs mode: subscribe/);
    expect(() => parse({ endpoint: base.endpoint })).toThrow(/give nodes, browse roots or event sources/);
    expect(() => parse({ ...base, mode: "poll", events: [{}] })).toThrow(/events need mode: subscribe/);
    expect(parse({ endpoint: base.endpoint, events: [{}] }).events).toEqual([{ node: "i=2253", name: "events" }]);
    expect(() => parse({ ...base, security_policy: "Basic128Rsa15" })).toThrow();
    expect(() => parse({ ...base, speed: 1 })).toThrow();
  });
});

describe("node ids", () => {
  it("parses nsu=, ns= and namespace 0 ids", () => {
    expect(parseNodeIdText("nsu=urn:plant:line1;s=Temperature")).toEqual({
      namespaceUri: "urn:plant:line1",
      namespaceIndex: 0,
      identifier: "s=Temperature",
    });
    expect(parseNodeIdText("ns=2;i=42")).toEqual({ namespaceUri: undefined, namespaceIndex: 2, identifier: "i=42" });
    expect(parseNodeIdText("i=2258")).toMatchObject({ namespaceIndex: 0, identifier: "i=2258" });
    expect(() => parseNodeIdText("ns=x;i=1")).toThrow(/is not a NodeId/);
  });

  it("resolves a namespace URI against the server's NamespaceArray, whatever index it has today", () => {
    const before = ["http://opcfoundation.org/UA/", "urn:server", "urn:plant:line1"];
    const after = ["http://opcfoundation.org/UA/", "urn:server", "urn:spacer", "urn:plant:line1"];
    expect(resolveNodeIdText("nsu=urn:plant:line1;s=Temperature", before)).toBe("ns=2;s=Temperature");
    expect(resolveNodeIdText("nsu=urn:plant:line1;s=Temperature", after)).toBe("ns=3;s=Temperature");
    expect(resolveNodeIdText("ns=2;s=X", after)).toBe("ns=2;s=X");
    expect(resolveNodeIdText("i=2258", after)).toBe("i=2258");
    expect(() => resolveNodeIdText("nsu=urn:gone;s=X", after)).toThrow(/namespace urn:gone is not on this server/);
  });

  it("matches browse globs on whole dotted paths", () => {
    expect(globMatcher("*.Diagnostics.*")("Motor.Diagnostics.ErrorCount")).toBe(true);
    expect(globMatcher("*.Diagnostics.*")("Motor.Current")).toBe(false);
    expect(globMatcher("Motor.?peed")("Motor.Speed")).toBe(true);
    expect(globMatcher("Motor")("Motor.Speed")).toBe(false);
  });
});
