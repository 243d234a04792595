/**
 * UDP and TCP against real sockets on loopback: a second UDP socket plays the vehicle, a local
 * net.Server plays a vehicle or MAVProxy's TCP port. The frames sent are real ones from the
 * ArduSub capture, or built with node-mavlink for the scripted vehicle.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import mavlink from "../../../adapters/mavlink/index.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { arduSubHeartbeat, byMetric, commandAck, invalidPoints, msgid, readCommandLong, readTlogRecords } from "./helpers.js";
import { frameCollector, freeUdpPort, tcpVehicle, until } from "./net-helpers.js";

const records = readTlogRecords();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startAdapter(harness: AdapterHarness, options: Record<string, unknown>): Promise<Adapter> {
  const adapter = harness.create(mavlink, { health_interval: 0, ...options });
  cleanups.push(() => adapter.stop());
  await adapter.start();
  return adapter;
}

describe("MAVLink over UDP", () => {
  it("a stop() while start() is still loading the adapter wins: nothing is left listening", async () => {
    const port = await freeUdpPort();
    const harness = new AdapterHarness();
    const adapter = harness.create(mavlink, { health_interval: 0, connection: `udp://127.0.0.1:${port}` });
    const starting = adapter.start();
    await adapter.stop();
    await starting;
    // The port is free again: another program (or the restarted adapter) can take it.
    const probe: UdpSocket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(harness.states.map((s) => s.state)).not.toContain("up");
  });

  it("listens, decodes datagrams from a sender, answers it with stream requests and GCS heartbeats", async () => {
    const port = await freeUdpPort();
    const harness = new AdapterHarness();
    await startAdapter(harness, {
      connection: `udp://127.0.0.1:${port}`,
      // HIGHRES_IMU is in no REQUEST_DATA_STREAM group: its fallback must not become "all streams".
      request_streams: { ATTITUDE: "10Hz", HIGHRES_IMU: "5Hz" },
      gcs_heartbeat: true,
      command_timeout: "150ms",
    });
    expect(harness.states.at(-1)).toEqual({ state: "up", detail: `listening on 127.0.0.1:${port}` });

    const vehicle: UdpSocket = createSocket("udp4");
    cleanups.push(() => new Promise<void>((resolve) => vehicle.close(() => resolve())));
    const received = frameCollector();
    vehicle.on("message", (message) => received.push(message));
    await new Promise<void>((resolve) => vehicle.bind(0, "127.0.0.1", resolve));

    // 250 frames of the capture around the autopilot's (1/1) first heartbeat, one frame per datagram as MAVProxy sends.
    const autopilot = records.findIndex((r) => msgid(r.frame) === 0 && r.frame[5] === 1 && r.frame[6] === 1);
    const sent = records.slice(autopilot - 200, autopilot + 50);
    for (let i = 0; i < sent.length; i++) {
      await new Promise((resolve) => vehicle.send(sent[i].frame, port, "127.0.0.1", resolve));
      // Sender and adapter share this thread: let the adapter read before the socket's receive buffer fills.
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(
      () => byMetric(harness.points, "heartbeat.mode").length > 0 && received.frames.some((f) => f.frame.msgid === 76),
      "points and replies",
    );
    expect(invalidPoints(harness.points)).toEqual([]);
    expect(harness.points.every((point) => point.timestamp === undefined)).toBe(true);

    // The vehicle's heartbeat appeared: SET_MESSAGE_INTERVAL(ATTITUDE, 100 ms) goes to whoever sent it.
    const interval = received.frames.find((f) => f.frame.msgid === 76 && readCommandLong(f.frame).param1 === 30);
    expect(interval, JSON.stringify(received.frames.map((f) => f.frame.msgid))).toBeDefined();
    const command = readCommandLong(interval!.frame);
    expect({ command: command.command, param1: command.param1, param2: command.param2, targetSystem: command.targetSystem }).toEqual({
      command: 511,
      param1: 30,
      param2: 100_000,
      targetSystem: 1,
    });
    // Nobody acknowledges it: REQUEST_DATA_STREAM (EXTRA1 at 10 Hz) follows as the fallback.
    await until(() => received.frames.some((f) => f.frame.msgid === 66), "REQUEST_DATA_STREAM");
    const request = received.frames.find((f) => f.frame.msgid === 66)!.bytes;
    expect({ rate: request.readUInt16LE(0), system: request[2], stream: request[4], start: request[5] }).toEqual({
      rate: 10,
      system: 1,
      stream: 10,
      start: 1,
    });
    // Never stream 0 (MAV_DATA_STREAM_ALL): that would raise every stream of the vehicle to 5 Hz,
    // enough to swamp a 57,600-baud radio. The operator is told instead.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.frames.filter((f) => f.frame.msgid === 66).map((f) => f.bytes[4])).not.toContain(0);
    expect(harness.log.lines.find((l) => l.level === "warn" && l.fields?.message === "HIGHRES_IMU")?.message).toMatch(
      /no REQUEST_DATA_STREAM group/,
    );
    // And the GCS heartbeat, from 255/190 as a GCS.
    await until(() => received.frames.some((f) => f.frame.msgid === 0), "GCS heartbeat", 3000);
    const heartbeat = received.frames.find((f) => f.frame.msgid === 0)!;
    expect([heartbeat.frame.sysid, heartbeat.frame.compid, heartbeat.bytes[4]]).toEqual([255, 190, 6]);
  });

  it("fails start() when another program already listens on the port", async () => {
    const holder = createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const adapter = new AdapterHarness().create(mavlink, { connection: `udp://127.0.0.1:${holder.address().port}` });
    cleanups.push(() => adapter.stop());
    await expect(adapter.start()).rejects.toThrow(/EADDRINUSE/);
  });

  it("counts a frame cut short at the end of a datagram and keeps going", async () => {
    const port = await freeUdpPort();
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `udp://127.0.0.1:${port}` });
    const sender = createSocket("udp4");
    cleanups.push(() => new Promise<void>((resolve) => sender.close(() => resolve())));
    const attitude = records.find((r) => msgid(r.frame) === 30)!.frame;
    sender.send(attitude.subarray(0, attitude.length - 4), port, "127.0.0.1");
    sender.send(attitude, port, "127.0.0.1");
    await harness.waitForPoints(1);
    await until(() => harness.counters.get("truncated_frames") === 1, "truncated count");
    expect(byMetric(harness.points, "attitude.roll")).toHaveLength(1);
  });
});

describe("MAVLink link health", () => {
  it("reports frames/s, bytes/s, sequence-gap loss and CRC errors per system", async () => {
    const port = await freeUdpPort();
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `udp://127.0.0.1:${port}`, health_interval: "300ms" });
    const sender = createSocket("udp4");
    cleanups.push(() => new Promise<void>((resolve) => sender.close(() => resolve())));

    // The autopilot's own frames (1/1), every tenth left out: a lossy radio link.
    const autopilot = records.filter((r) => r.frame[5] === 1 && r.frame[6] === 1).slice(0, 300);
    const sent = autopilot.filter((_, i) => i % 10 !== 5);
    let expectedLost = 0;
    for (let i = 1; i < sent.length; i++) expectedLost += (sent[i].frame[4] - sent[i - 1].frame[4] - 1) & 0xff;
    const corrupted = Buffer.from(sent[10].frame);
    corrupted[12] ^= 0xff;
    const stream = [...sent.slice(0, 10), { frame: corrupted }, ...sent.slice(10)];
    for (let i = 0; i < stream.length; i++) {
      await new Promise((resolve) => sender.send(stream[i].frame, port, "127.0.0.1", resolve));
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const sum = (metric: string) =>
      byMetric(harness.points, metric)
        .filter((p) => p.tags?.system_id === "1")
        .reduce((total, p) => total + (p.value as number), 0);
    await until(() => sum("link.frames_per_s") > 0 && byMetric(harness.points, "link.frames_per_s").length >= 2, "health reports");
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(sum("link.lost_frames")).toBe(expectedLost);
    expect(expectedLost).toBeGreaterThanOrEqual(27);
    expect(sum("link.crc_errors")).toBe(1);
    // frames/s × interval summed over the reports = frames received.
    expect(Math.round(sum("link.frames_per_s") * 0.3)).toBeGreaterThan(sent.length * 0.9);
    expect(sum("link.bytes_per_s")).toBeGreaterThan(sum("link.frames_per_s") * 10);
    for (const point of byMetric(harness.points, "link.loss_percent")) expect(point.value).toBeLessThan(100);
  });
});

describe("MAVLink over TCP", () => {
  it("reads from a TCP server and reconnects after the server drops the connection", async () => {
    const vehicle = await tcpVehicle(cleanups, (socket) => {
      // The real capture, written in uneven pieces as a TCP stream may deliver it.
      const bytes = Buffer.concat(records.slice(0, 300).map((r) => r.frame));
      for (let at = 0; at < bytes.length; at += 777) socket.write(bytes.subarray(at, at + 777));
    });
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `tcp://127.0.0.1:${vehicle.port}` });
    await until(() => byMetric(harness.points, "heartbeat.custom_mode").length > 0, "points over tcp");
    const firstRound = harness.points.length;
    expect(harness.counters.get("crc_errors") ?? 0).toBe(0);

    for (const socket of vehicle.sockets) socket.destroy();
    await until(() => vehicle.connections() === 2, "reconnect");
    await until(() => harness.points.length >= 2 * firstRound, "points after reconnect");
    expect(harness.points.length).toBe(2 * firstRound);
    const states = harness.states.map((s) => s.state);
    expect(states.slice(0, 4)).toEqual(["connecting", "connecting", "up", "down"]);
    expect(states.at(-1)).toBe("up");
  });

  it("backs off against a port that accepts and hangs up at once, instead of redialling twice a second", async () => {
    // A serial-to-TCP bridge whose radio is gone, a proxy without upstream: connect, close, no data.
    const vehicle = await tcpVehicle(cleanups, (socket) => socket.destroy());
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `tcp://127.0.0.1:${vehicle.port}` });
    const waits = () =>
      harness.states.flatMap((s) => (s.state === "down" ? [Number(/retrying in (\d+) ms/.exec(s.detail ?? "")?.[1])] : []));
    await until(() => waits().length >= 2, "two reconnects", 5000);
    const [first, second] = waits();
    // 0.5 s, then 1 s (±20 %): the backoff grows because no connection carried data.
    expect(first).toBeLessThanOrEqual(600);
    expect(second).toBeGreaterThanOrEqual(800);
  });

  describe("mavlink_command against a scripted vehicle", () => {
    async function vehicleAndAdapter(options: Record<string, unknown>, result = 0) {
      let beat: NodeJS.Timeout | undefined;
      const vehicle = await tcpVehicle(
        cleanups,
        (socket) => {
          socket.write(arduSubHeartbeat());
          beat = setInterval(() => socket.write(arduSubHeartbeat()), 200);
          socket.on("close", () => clearInterval(beat));
        },
        (command, socket) => {
          if (command.command === 400 && command.param1 === 0) return; // this vehicle never answers disarm
          socket.write(commandAck(command.command, result));
        },
      );
      cleanups.push(() => clearInterval(beat));
      const harness = new AdapterHarness();
      const adapter = await startAdapter(harness, { connection: `tcp://127.0.0.1:${vehicle.port}`, command_timeout: "200ms", ...options });
      await until(() => byMetric(harness.points, "heartbeat.mode").length > 0, "vehicle heartbeat");
      return { vehicle, adapter, harness };
    }

    it("refuses every command by default and sends nothing", async () => {
      const { vehicle, adapter } = await vehicleAndAdapter({});
      await expect(adapter.command!("mavlink_command", { command: "arm" })).rejects.toThrow(/not allowed.*allow_commands/);
      await expect(adapter.command!("mavlink_command", { command: "set_mode", mode: "MANUAL" })).rejects.toThrow(/not allowed/);
      await expect(adapter.command!("mavlink_command", { command: "takeoff" })).rejects.toThrow(/unknown mavlink_command "takeoff"/);
      await expect(adapter.command!("reboot", {})).rejects.toThrow(/no command "reboot"/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(vehicle.commands).toEqual([]);
    });

    it("arms when allowed and returns the vehicle's COMMAND_ACK", async () => {
      const { vehicle, adapter } = await vehicleAndAdapter({ allow_commands: ["arm", "set_mode", "disarm"] });
      const result = await adapter.command!("mavlink_command", { command: "arm" });
      expect(result).toMatchObject({
        command: "arm",
        accepted: true,
        system_id: 1,
        command_ack: { command: 400, result: 0, result_name: "ACCEPTED" },
      });
      expect(vehicle.commands[0]).toMatchObject({
        command: 400,
        param1: 1,
        param2: 0,
        targetSystem: 1,
        targetComponent: 1,
        sysid: 255,
        compid: 190,
      });

      // ArduSub's POSHOLD is custom_mode 16: MAV_CMD_DO_SET_MODE(base_mode CUSTOM_MODE_ENABLED, 16).
      const mode = await adapter.command!("mavlink_command", { command: "set_mode", mode: "poshold" });
      expect(mode).toMatchObject({ accepted: true, command_ack: { command: 176 } });
      expect(vehicle.commands.at(-1)).toMatchObject({ command: 176, param1: 1, param2: 16 });
      await expect(adapter.command!("mavlink_command", { command: "set_mode", mode: "WARP_SPEED" })).rejects.toThrow(
        /unknown mode "WARP_SPEED".*POSHOLD/,
      );

      // A vehicle that stays silent: three attempts, then a clear error.
      const before = vehicle.commands.length;
      await expect(adapter.command!("mavlink_command", { command: "disarm" })).rejects.toThrow(/no COMMAND_ACK/);
      expect(vehicle.commands.length - before).toBe(3);
    });

    it("reports a refusal by the vehicle as not accepted", async () => {
      const { adapter } = await vehicleAndAdapter({ allow_commands: ["arm"] }, 4);
      const result = await adapter.command!("mavlink_command", { command: "arm", force: true });
      expect(result).toMatchObject({ accepted: false, command_ack: { result: 4, result_name: "FAILED" } });
    });
  });
});
