/**
 * The mqtt adapter inside the real bridge: `plexus-bridge tail` on a YAML config (schema, `!file`
 * password, prefix) against aedes, with the default client id built from the install id.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/child.js";
import { tempDir } from "../../pipeline/queue-helpers.js";
import { type AedesBroker, startAedes, testClient, waitFor } from "./brokers.js";

let broker: AedesBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe("mqtt adapter under plexus-bridge tail", () => {
  it("reads a Tasmota message with the configured prefix; client id plexus-bridge-<install id>-<adapter id>; password from !file", async () => {
    const clients: string[] = [];
    broker = await startAedes({
      authenticate: (client, username, password, done) => {
        clients.push(client.id);
        done(null, username === "bridge" && password?.toString() === "from-a-file");
      },
    });
    let subscribed = false;
    broker.broker.on("subscribe", () => {
      subscribed = true;
    });
    const dir = tempDir();
    writeFileSync(join(dir, "mqtt_password"), "from-a-file\n");
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        "plexus: { source_id: test-src }",
        `state_dir: ${join(dir, "state")}`,
        "adapters:",
        "  plant:",
        "    type: mqtt",
        `    url: ${broker.url}`,
        "    username: bridge",
        "    password: !file mqtt_password",
        "    subscriptions:",
        '      - { topic: "+/tele/SENSOR", metric: "{1}.{path}" }',
        "",
      ].join("\n"),
    );
    const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli.ts"), "tail", "-c", config, "--format", "ndjson"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stderr = "";
    createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    try {
      await waitFor(() => subscribed, "the bridge subscribed", 20_000).catch((error) => {
        throw new Error(`${error.message}; the bridge said: ${stderr}; clients seen: ${clients.join(", ")}`);
      });
      const publisher = await testClient(broker.url, { username: "bridge", password: "from-a-file" });
      await publisher.publishAsync("tasmota_49A3BC/tele/SENSOR", '{"AM2301":{"Temperature":21.5}}', { qos: 1 });
      await publisher.endAsync();
      await waitFor(() => lines.length > 0, "a point from tail", 10_000);
      expect(JSON.parse(lines[0])).toMatchObject({ metric: "plant.tasmota_49A3BC.AM2301.Temperature", value: 21.5 });
      const installId = readFileSync(join(dir, "state", "install-id"), "utf8").trim();
      expect(clients[0]).toBe(`plexus-bridge-${installId}-plant`);
      expect(stderr).not.toContain("from-a-file");
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }, 40_000);
});
