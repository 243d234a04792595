import { afterEach, describe, expect, it } from "vitest";
import { runCheckCommand } from "../../src/config/index.js";
import { isLoopback, parseListen } from "../../src/status/options.js";
import { ConfigFolder, expectProblems, yaml } from "../config/config-fixture.js";

const PLEXUS = yaml`
  plexus:
    api_key: plx_0000000000000000000000000000000000
    source_id: line-3
`;

let folder: ConfigFolder;
afterEach(() => folder?.remove());

describe("status: and telemetry: sections", () => {
  it("are on by default: the status server on 127.0.0.1:9464, telemetry every 10 s", async () => {
    folder = new ConfigFolder();
    const { config } = await folder.load(PLEXUS);
    expect(config?.status).toEqual({ listen: "127.0.0.1:9464", host: "127.0.0.1", port: 9464 });
    expect(config?.telemetry).toEqual({ intervalMs: 10_000 });
  });

  it("false turns either off; port 0 and IPv6 loopback are accepted", async () => {
    folder = new ConfigFolder();
    expect((await folder.load(`${PLEXUS}\nstatus: false\ntelemetry: false\n`)).config).toMatchObject({ status: false, telemetry: false });
    const { config } = await folder.load(`${PLEXUS}\nstatus: {listen: "[::1]:0"}\ntelemetry: {interval: 2s}\n`);
    expect(config?.status).toMatchObject({ host: "::1", port: 0 });
    expect(config?.telemetry).toEqual({ intervalMs: 2000 });
  });

  it("refuses a non-loopback listen without a token, at the listen line", async () => {
    folder = new ConfigFolder();
    expectProblems(await folder.problems(`${PLEXUS}\nstatus:\n  listen: 0.0.0.0:9464\n`), [
      ["config.yaml:6:11 status.listen", "0.0.0.0 is reachable from other machines: set status.token"],
    ]);
  });

  it("takes the token from !file, keeps it out of the printed config, and then allows any address", async () => {
    folder = new ConfigFolder();
    folder.write("status-token", "a-long-enough-status-token\n");
    const { config, problems } = await folder.load(`${PLEXUS}\nstatus:\n  listen: 0.0.0.0:0\n  token: !file status-token\n`);
    expect(problems).toEqual([]);
    expect(config?.status ? config.status.token : undefined).toBe("a-long-enough-status-token");
    expect(JSON.stringify(config)).not.toContain("a-long-enough-status-token");
  });

  it("reports every mistake in these sections with its position", async () => {
    folder = new ConfigFolder();
    const text = `${PLEXUS}\nstatus:\n  listn: 127.0.0.1:1\n  token: short\ntelemetry: true\n`;
    expectProblems(await folder.problems(text), [
      ["config.yaml:6:3 status.listn", 'unknown key "listn" (did you mean "listen"?)'],
      ["config.yaml:7:10 status.token", "a status token is at least 16 characters"],
      ["config.yaml:8:12 telemetry", "false turns this off; to configure it write a mapping (interval: 10s)"],
    ]);
    expectProblems(await folder.problems(`${PLEXUS}\nstatus: {listen: "localhost"}\n`), [
      ["config.yaml:5:18 status.listen", "write host:port"],
    ]);
  });

  it("`check` exits 78 for a non-loopback listen without a token and never prints a token", async () => {
    folder = new ConfigFolder();
    const file = folder.write("config.yaml", `${PLEXUS}\nstatus:\n  listen: 192.0.2.1:9464\n`);
    const out: string[] = [];
    const io = { stdout: (text: string) => out.push(text), stderr: (text: string) => out.push(text), env: {} };
    expect(await runCheckCommand(["-c", file], io)).toBe(78);
    expect(out.join("")).toMatch(/config\.yaml:6:11 status\.listen: 192\.0\.2\.1 is reachable from other machines/);
  });
});

describe("listen addresses", () => {
  it("parses host:port and [v6]:port and says what is wrong otherwise", () => {
    expect(parseListen("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen("localhost:80")).toEqual({ host: "localhost", port: 80 });
    expect(parseListen("127.0.0.1:70000")).toBe("port 70000 is above 65535");
    expect(parseListen("[nope]:1")).toBe("nope is not an IPv6 address");
    expect(parseListen("9464")).toMatch(/^write host:port/);
  });

  it("knows loopback from the rest", () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "::1", "localhost"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com", "128.0.0.1"]) expect(isLoopback(host), host).toBe(false);
  });
});
