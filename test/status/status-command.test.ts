import { createServer } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runStatusCommand, STATUS_TOKEN_ENV } from "../../src/commands/status.js";
import { spawnChild, waitFor } from "../helpers/child.js";
import { type RunningBridge, STATUS_TOKEN, startBridge } from "./bridge.js";

let bridge: RunningBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  delete process.env[STATUS_TOKEN_ENV];
});

const ADAPTERS = ["adapters:", "  gen:", "    type: testseq", "    batch: 50", "    interval: 20ms"].join("\n");

async function status(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const code = await runStatusCommand(args, stream);
  return { code, out };
}

const delivered = () => bridge!.acknowledged(100);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("plexus-bridge status", () => {
  it("prints adapters, uplink, queue and the counter identity of a healthy bridge, and exits 0", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    await delivered();
    bridge.daemon.supervisor("gen")!.counters.set("crc_errors", 2);
    bridge.operations.collector!.tick();
    const { code, out } = await status(["--url", bridge.url]);
    expect(code).toBe(0);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(
      /^plexus-bridge 0\.0\.0-test: healthy · up \d+ s · [\d,.]+ points\/s · [\d,]+ pending · config \S+config\.yaml$/,
    );
    expect(out).toMatch(/^ADAPTER +TYPE +STATE +FOR +POINTS\/S +RECEIVED = INVALID \+ DROPPED \+ ACKED \+ PENDING +RESTARTS +DETAIL$/m);
    expect(out).toMatch(/^gen +testseq +up +\d+ s +[\d,.]+ +[\d,]+ = 0 \+ 0 \+ [\d,]+ \+ [\d,]+ ✓ +0/m);
    expect(out).toMatch(/^ {4}health: crc_errors=2$/m);
    expect(out).toMatch(
      /^status-test +websocket +[\d.]+ ms +-?\d+ ms +\d+ s ago +0 +[\d,]+ \/ 0 +[\d,.]+ +[\d,]+ = 0 \+ 0 \+ [\d,]+ \+ [\d,]+ ✓$/m,
    );
    expect(out).toMatch(/^process: pid \d+, RSS [\d.]+ MiB/m);
  });

  it("--json prints the status snapshot", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    await delivered();
    const { code, out } = await status(["--json", `--url=${bridge.url}/`]);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.status).toBe("ok");
    expect(json.adapters.find((a: { id: string }) => a.id === "gen")).toMatchObject({ state: "up", counts: { balanced: true } });
    expect(json.sources[0]).toMatchObject({ id: "status-test", uplink: { connected: true } });
  });

  it("exits 1 and names the problem when the bridge is degraded", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}\n  bad:\n    type: testseq\n    fail_starts: 1000`);
    await delivered();
    await waitFor(() => (bridge!.daemon.supervisor("bad")?.restarts ?? 0) > 0, 10_000, "a failed start");
    bridge.operations.collector!.tick();
    const { code, out } = await status(["--url", bridge.url]);
    expect(code).toBe(1);
    expect(out).toMatch(/: degraded · /);
    expect(out).toMatch(/^ {2}problem: adapter bad: (backoff|starting) for \d+ s: refused start #\d+$/m);
  });

  it("exits 69 when nothing answers, 77 without the token a server wants, 64 on a bad flag", async () => {
    const port = await closedPort();
    expect((await status(["--url", `http://127.0.0.1:${port}`])).code).toBe(69);
    expect((await status(["--url"])).code).toBe(64);
    expect((await status(["--bogus"])).code).toBe(64);
    bridge = await startBridge(`status: {listen: "127.0.0.1:0", token: !file status_token}\n${ADAPTERS}`);
    expect((await status(["--url", bridge.url])).code).toBe(77);
    process.env[STATUS_TOKEN_ENV] = STATUS_TOKEN;
    await delivered();
    expect((await status(["--url", bridge.url])).code).toBe(0);
  });

  it("runs as the real CLI command", async () => {
    bridge = await startBridge(`status: {listen: "127.0.0.1:0"}\n${ADAPTERS}`);
    await delivered();
    const child = spawnChild(["cli", "status", "--url", bridge.url]);
    expect(await child.exited).toBe(0);
    expect(child.lines.join("\n")).toMatch(/^gen +testseq +up /m);
  });
});
