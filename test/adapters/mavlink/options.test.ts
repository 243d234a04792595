/** The options schema, the connection URL, the light import graph of index.ts, and checkFiles. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConnection } from "../../../adapters/mavlink/connection-url.js";
import mavlink from "../../../adapters/mavlink/index.js";
import { mavlinkOptions } from "../../../adapters/mavlink/options.js";
import { FIXTURES } from "./helpers.js";

function issues(raw: Record<string, unknown>): string[] {
  const result = mavlinkOptions.safeParse(raw);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("MAVLink options", () => {
  it("has safe defaults: listen on 14550, no commands allowed, no signing", () => {
    expect(mavlinkOptions.parse({})).toMatchObject({
      connection: "udp://0.0.0.0:14550",
      dialect: "ardupilotmega",
      angles: "radians",
      allow_commands: [],
      signing: "ignore",
      gcs_heartbeat: false,
      command_timeout: 3000,
    });
  });

  it("describes every option", () => {
    for (const [key, field] of Object.entries(mavlinkOptions.shape)) expect(field.description, key).toBeTruthy();
  });

  it("parses rates and upper-cases message names", () => {
    expect(
      mavlinkOptions.parse({ rates: { attitude: "10Hz" }, request_streams: { GLOBAL_POSITION_INT: "30/min" }, include: ["vfr_hud"] }),
    ).toMatchObject({
      rates: { ATTITUDE: 10 },
      request_streams: { GLOBAL_POSITION_INT: 0.5 },
      include: ["VFR_HUD"],
    });
  });

  it("rejects unknown keys, core keys, bad connections and signing without a key", () => {
    expect(issues({ conection: "udp://0.0.0.0:14550" })[0]).toMatch(/conection/);
    expect(issues({ prefix: "drone" })[0]).toMatch(/prefix/);
    expect(issues({ connection: "http://example.com:80" })[0]).toMatch(/unknown scheme "http"/);
    expect(issues({ connection: "tcp://localhost" })[0]).toMatch(/needs host:port/);
    expect(issues({ connection: "tlog:///a.tlog?speed=fast" })[0]).toMatch(/speed must be/);
    expect(issues({ connection: "udp://0.0.0.0:14550?baud=9" })[0]).toMatch(/unknown parameter "baud"/);
    expect(issues({ signing: "require" })).toEqual(["signing_key: signing: require needs a signing_key"]);
    expect(issues({ allow_commands: ["arm", "takeoff"] })[0]).toMatch(/allow_commands/);
  });

  it("parses every connection kind", () => {
    expect(parseConnection("udp://0.0.0.0:14550")).toEqual({ kind: "udp", host: "0.0.0.0", port: 14550 });
    expect(parseConnection("udpout://[::1]:14555")).toEqual({ kind: "udpout", host: "::1", port: 14555 });
    expect(parseConnection("tcp://10.0.0.2:5760")).toEqual({ kind: "tcp", host: "10.0.0.2", port: 5760 });
    expect(parseConnection("serial:///dev/ttyACM0?baud=921600")).toEqual({ kind: "serial", path: "/dev/ttyACM0", baud: 921600 });
    expect(parseConnection("tlog:///data/flight.tlog?speed=max&loop=true")).toEqual({
      kind: "tlog",
      path: "/data/flight.tlog",
      speed: "max",
      loop: true,
    });
    expect(parseConnection("tlog://../fixtures/a%20b.tlog")).toEqual({ kind: "tlog", path: "../fixtures/a b.tlog", speed: 1, loop: false });
  });

  it("declares mavlink_command", () => {
    expect(mavlink.type).toBe("mavlink");
    expect(mavlink.commands).toEqual(["mavlink_command"]);
  });

  it("checkFiles reports a tlog that cannot be read and nothing for a good one", async () => {
    const good = mavlinkOptions.parse({ connection: "tlog://ardusub_small.tlog" });
    const missing = mavlinkOptions.parse({ connection: "tlog://nope.tlog" });
    expect(await mavlink.checkFiles!(good, FIXTURES)).toEqual([]);
    const problems = await mavlink.checkFiles!(missing, FIXTURES);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      line: 0,
      option: ["connection"],
      message: expect.stringMatching(/^cannot read tlog replay file .*nope\.tlog: the file does not exist$/),
    });
  });

  it("keeps the message definitions, the decoder and serialport out of index.ts's import graph", () => {
    const index = fileURLToPath(new URL("../../../adapters/mavlink/index.ts", import.meta.url));
    // A load hook reports every ES module loaded; serialport is CommonJS and shows in require's cache.
    const hook =
      "let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }";
    const script = `import { createRequire, register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on("message", (url) => loaded.push(url));
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}), { data: { port: port2 }, transferList: [port2] });
await import(${JSON.stringify(index)});
await new Promise((resolve) => setTimeout(resolve, 200));
port1.close();
const required = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ loaded, required }));`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const { loaded, required } = JSON.parse(run.stdout) as { loaded: string[]; required: string[] };
    expect(loaded.some((url) => url.endsWith("/adapters/mavlink/options.ts"))).toBe(true); // the hook saw index.ts's imports
    expect(loaded.filter((url) => /\/adapters\/mavlink\/(message-definitions|dialect|decode|adapter)\.ts$/.test(url))).toEqual([]);
    expect(required.filter((path) => /node-mavlink|mavlink-mappings|serialport/.test(path))).toEqual([]);
  });
});
