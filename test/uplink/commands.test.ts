/**
 * Dashboard commands through a real connection: the local gateway sends each command raw (the
 * spec's form) and as typed_command (the current gateway's), and the bridge answers in the same
 * style. BridgeControl is a recording fake: the daemon that implements it is tested on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeClock } from "../../src/clock.js";
import { type Gateway, type ReceivedMessage, startGateway } from "../../src/gateway/server.js";
import type { Uplink } from "../../src/uplink/uplink.js";
import { MemoryBatchSource } from "../helpers/memory-batch-source.js";
import { FakeControl, makeUplink, plexusOptions } from "./helpers.js";

const SOURCE = "cmd";
let gateway: Gateway;
let uplink: Uplink;
const control = new FakeControl([
  { id: "can_main", type: "can", sourceId: SOURCE, enabled: true, options: { interface: "can0" }, commands: [] },
  { id: "can_aux", type: "can", sourceId: SOURCE, enabled: true, options: { interface: "can1" }, commands: [] },
  {
    id: "fc",
    type: "mavlink",
    sourceId: SOURCE,
    enabled: true,
    options: { connection: "udp://0.0.0.0:14550" },
    commands: ["mavlink_command"],
  },
  { id: "plc", type: "modbus", sourceId: SOURCE, enabled: true, options: { url: "tcp://10.0.0.5:502" }, commands: [] },
  { id: "other_plc", type: "modbus", sourceId: "elsewhere", enabled: true, options: {}, commands: [] },
]);

beforeAll(async () => {
  gateway = await startGateway();
  const clock = new BridgeClock();
  uplink = makeUplink({
    options: plexusOptions({ url: gateway.url, source_id: SOURCE }),
    source: new MemoryBatchSource(SOURCE),
    clock,
    control,
  });
  uplink.start();
  await gateway.waitFor(() => gateway.isConnected(SOURCE), 5000, "connect");
});

afterAll(async () => {
  await uplink.stop(0);
  await gateway.close();
});

let counter = 0;
/** Sends a raw command; resolves with the first reply that came after it. */
async function raw(frame: Record<string, unknown>, replyType?: string): Promise<Record<string, unknown>> {
  const mark = gateway.messages.length;
  expect(gateway.sendCommand(SOURCE, frame)).toBe(true);
  const reply = await gateway.waitForMessage(
    (m: ReceivedMessage) => gateway.messages.indexOf(m) >= mark && (replyType === undefined || m.message.type === replyType),
    5000,
  );
  return reply.message;
}

/** Sends a typed_command; resolves with its ack and its final (result or error) reply. */
async function typed(command: string, params: Record<string, unknown>) {
  const id = `cmd-${++counter}`;
  gateway.sendCommand(SOURCE, { type: "typed_command", id, command, params });
  const final = await gateway.waitForMessage((m) => m.message.id === id && m.message.event !== "ack", 5000);
  const ack = gateway.messages.find((m) => m.message.id === id && m.message.event === "ack");
  expect(ack?.message).toEqual({ type: "command_result", id, command, event: "ack" });
  return final.message;
}

describe("commands, raw and typed", () => {
  it("ping → pong", async () => {
    expect(await raw({ type: "ping" }, "pong")).toEqual({ type: "pong" });
    expect(await typed("ping", {})).toMatchObject({ event: "result", result: { pong: true } });
  });

  it("start_stream / stop_stream drive the stream of this source", async () => {
    const reply = await raw({ type: "start_stream", source_id: SOURCE, metrics: ["fc.alt"], interval_ms: 250 }, "command_result");
    expect(reply).toMatchObject({ command: "start_stream", event: "result", result: { streaming: true, interval_ms: 250 } });
    expect(control.stream).toEqual({ metrics: ["fc.alt"], intervalMs: 250 });
    expect(await raw({ type: "stop_stream", source_id: SOURCE }, "command_result")).toMatchObject({ result: { streaming: false } });
    expect(control.stream).toBeUndefined();
    expect(await typed("start_stream", { metrics: [], interval_ms: 100 })).toMatchObject({ event: "result", result: { streaming: true } });
    expect(control.stream).toEqual({ metrics: [], intervalMs: 100 });
    expect(await typed("stop_stream", {})).toMatchObject({ event: "result" });
    expect(await typed("start_stream", { interval_ms: -5 })).toMatchObject({
      event: "error",
      error: expect.stringContaining("interval_ms"),
    });
  });

  it("start_session / stop_session answer session_started / session_stopped (raw) and results (typed)", async () => {
    const started = await raw(
      { type: "start_session", source_id: SOURCE, session_id: "session_1_abc", session_name: "Motor Test" },
      "session_started",
    );
    expect(started).toEqual({ type: "session_started", session_id: "session_1_abc", session_name: "Motor Test" });
    expect(control.session).toEqual({ id: "session_1_abc", name: "Motor Test" });
    expect(await raw({ type: "stop_session", source_id: SOURCE, session_id: "session_1_abc" }, "session_stopped")).toEqual({
      type: "session_stopped",
      session_id: "session_1_abc",
    });
    expect(control.session).toBeUndefined();
    expect(await typed("start_session", { session_id: "s2", session_name: "Run 2" })).toMatchObject({ result: { session_id: "s2" } });
    expect(control.session).toEqual({ id: "s2", name: "Run 2" });
    expect(await typed("stop_session", { session_id: "s2" })).toMatchObject({ event: "result", result: { stopped: true } });
  });

  it("configure applies runtime-tunable options; an invalid value is refused with a reason", async () => {
    const ok = await raw({ type: "configure", source_id: SOURCE, sensor: "plc", config: { poll_interval: 500 } }, "command_result");
    expect(ok).toMatchObject({ command: "configure", event: "result", result: { sensor: "plc", changed: { poll_interval: 500 } } });
    const bad = await typed("configure", { sensor: "plc", config: { poll_interval: "fast" } });
    expect(bad).toMatchObject({ event: "error", error: 'poll_interval: expected a positive number, got "fast"' });
    const badRaw = await raw({ type: "configure", sensor: "plc", config: { unit_id: 3 } }, "command_result");
    expect(badRaw).toMatchObject({ event: "error", error: expect.stringContaining("not runtime-tunable") });
    expect(await typed("configure", { sensor: "foo", config: {} })).toMatchObject({
      event: "error",
      error: expect.stringContaining("unknown sensor: foo"),
    });
    // An adapter of another source is not this connection's to configure.
    expect(await typed("configure", { sensor: "other_plc", config: { poll_interval: 1 } })).toMatchObject({ event: "error" });
  });

  it("start_can / stop_can and start_mavlink / stop_mavlink enable or disable the matching adapters", async () => {
    expect(await typed("stop_can", { interface: "can1" })).toMatchObject({
      event: "result",
      result: { adapters: ["can_aux"], enabled: false },
    });
    expect(control.enabled.get("can_aux")).toBe(false);
    expect(control.enabled.get("can_main")).toBe(true);
    expect(await raw({ type: "start_can", channel: "can1" }, "command_result")).toMatchObject({
      result: { adapters: ["can_aux"], enabled: true },
    });
    expect(await raw({ type: "stop_can" }, "command_result")).toMatchObject({ result: { adapters: ["can_main", "can_aux"] } });
    expect(await typed("start_can", { interface: "can7" })).toMatchObject({
      event: "error",
      error: expect.stringContaining('matches "can7"'),
    });
    expect(await typed("stop_mavlink", { connection: "udp://0.0.0.0:14550" })).toMatchObject({
      result: { adapters: ["fc"], enabled: false },
    });
    expect(await raw({ type: "start_mavlink" }, "command_result")).toMatchObject({ result: { adapters: ["fc"], enabled: true } });
  });

  it("adapter commands route to the adapter that declares them", async () => {
    const reply = await typed("mavlink_command", { command: "MAV_CMD_COMPONENT_ARM_DISARM", param1: 1 });
    expect(reply).toMatchObject({ event: "result", result: { sensor: "fc", accepted: true } });
    expect(control.calls.at(-1)).toEqual([
      "adapterCommand",
      "fc",
      "mavlink_command",
      { command: "MAV_CMD_COMPONENT_ARM_DISARM", param1: 1 },
    ]);
  });

  it("unknown and unsupported commands get an error result, never silence", async () => {
    expect(await typed("start_camera", {})).toMatchObject({ event: "error", error: "unsupported command: start_camera" });
    expect(await typed("self_destruct", {})).toMatchObject({ event: "error", error: "unsupported command: self_destruct" });
    expect(await raw({ type: "configure_camera", config: {} }, "command_result")).toMatchObject({
      event: "error",
      command: "configure_camera",
    });
  });
});
