/** `plexus-bridge gateway` as a real process: it listens, answers /health, writes NDJSON and stops on SIGTERM. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import WebSocket from "ws";
import { tempDir } from "../uplink/helpers.js";

/** Starts `plexus-bridge gateway ARGS…` as a process; resolves once it prints the URL it listens on. */
async function gatewayProcess(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "gateway", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const out = { stderr: "" };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out.stderr}`)), 20_000);
    child.stderr.on("data", (chunk) => {
      out.stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out.stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited ${code}: ${out.stderr}`)));
  });
  return { child, url, exited, out };
}

it("runs, accepts points into the NDJSON file, and exits 0 on SIGTERM", async () => {
  const output = join(tempDir(), "points.ndjson");
  const { child, url, exited, out } = await gatewayProcess(["--port", "0", "--output", output, "--quiet"]);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  const res = await fetch(`${url}/ingest`, {
    method: "POST",
    headers: { "x-api-key": "plx_dev", "content-type": "application/json" },
    body: JSON.stringify({ source_id: "cli", points: [{ class: "metric", metric: "a", value: 1, timestamp: 1755700000000 }] }),
  });
  expect(res.status).toBe(200);
  // A device connects; a line on stdin becomes a command to it, and its reply is echoed.
  const device = new WebSocket(`${url.replace("http", "ws")}/ws/device`);
  const received: Record<string, unknown>[] = [];
  device.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    received.push(frame);
    if (frame.type === "typed_command")
      device.send(JSON.stringify({ type: "command_result", id: frame.id, command: frame.command, event: "result", result: {} }));
  });
  await new Promise((resolve) => device.once("open", resolve));
  device.send(
    JSON.stringify({ type: "device_auth", api_key: "plx_dev", source_id: "cli-dev", platform: "test", agent_version: "0", sensors: [] }),
  );
  await waitFor(() => received.some((f) => f.type === "authenticated"), "authenticated");
  child.stdin.write('cli-dev {"type":"ping"}\n');
  child.stdin.write('cli-dev configure {"sensor":"plc1","config":{"poll_interval":500}}\n');
  await waitFor(() => received.length >= 3, "two commands");
  expect(received[1]).toEqual({ type: "ping" });
  expect(received[2]).toMatchObject({
    type: "typed_command",
    command: "configure",
    params: { sensor: "plc1", config: { poll_interval: 500 } },
  });
  await waitFor(() => out.stderr.includes('<- cli-dev {"type":"command_result"'), "the reply echoed");
  device.close();

  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  const lines = readFileSync(output, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(lines).toEqual([expect.objectContaining({ source_id: "cli", metric: "a", value: 1, timestamp: 1755700000000 })]);
  expect(out.stderr).toContain("cli: offline points=1");
}, 30_000);

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it("refuses bad arguments with usage and exit 64", async () => {
  const { runGatewayCommand } = await import("../../src/gateway/cli.js");
  expect(await runGatewayCommand(["--latency", "soon"])).toBe(64);
});

it("--skew -180d (the form its help documents) runs a gateway whose clock is 180 days behind", async () => {
  const { child, url, exited } = await gatewayProcess(["--port=0", "--skew", "-180d", "--quiet"]);
  // The device handshake carries the server's clock.
  const device = new WebSocket(`${url.replace("http", "ws")}/ws/device`);
  const authenticated = new Promise<{ server_time_ms: number }>((resolve) =>
    device.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === "authenticated") resolve(frame);
    }),
  );
  await new Promise((resolve) => device.once("open", resolve));
  device.send(
    JSON.stringify({ type: "device_auth", api_key: "plx_dev", source_id: "skew", platform: "test", agent_version: "0", sensors: [] }),
  );
  const { server_time_ms } = await authenticated;
  device.close();
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(Date.now() - server_time_ms).toBeGreaterThan(179 * 86_400_000);
  expect(Date.now() - server_time_ms).toBeLessThan(181 * 86_400_000);
}, 30_000);
