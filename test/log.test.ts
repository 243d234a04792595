import { describe, expect, it } from "vitest";
import { ConsoleLogger } from "../src/log.js";

function capture(options: ConstructorParameters<typeof ConsoleLogger>[0]) {
  const lines: string[] = [];
  const log = new ConsoleLogger({ ...options, sink: { write: (line) => lines.push(line) } });
  return { log, lines };
}

describe("ConsoleLogger", () => {
  it("writes one line per event with the scope first", () => {
    const { log, lines } = capture({ level: "info" });
    log.child("plc1").warn("connect ECONNREFUSED 10.0.0.5:502", { attempt: 3 });
    log.debug("not shown at info");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z WARN {2}plc1: connect ECONNREFUSED 10\.0\.0\.5:502 attempt=3\n$/);
  });

  it("writes JSON objects with --log-format json", () => {
    const { log, lines } = capture({ level: "debug", format: "json" });
    log.child("fc").info("heartbeat appeared", { system_id: 1 });
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: "info", scope: "fc", msg: "heartbeat appeared", system_id: 1 });
  });

  it("never prints a secret, whatever carries it", () => {
    const key = "plx_abcdefghijklmnopqrstuvwxyz012345";
    const { log, lines } = capture({ level: "debug", secrets: [key], format: "text" });
    log.error(`auth failed for ${key}`, { frame: { api_key: key } });
    const json = capture({ level: "debug", secrets: [key], format: "json" });
    json.log.child("uplink").warn("x", { url: `wss://h/?k=${key}` });
    expect(lines.join("") + json.lines.join("")).not.toContain(key);
    expect(lines[0]).toContain("auth failed for ***");
  });
});
