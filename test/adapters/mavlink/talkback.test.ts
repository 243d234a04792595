/**
 * Talking to the vehicle: udpout, MAVLink 2 signing both ways over UDP, and stream requests sent
 * again when the vehicle's heartbeat comes back. Real sockets on loopback.
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { signatureMatches, signingKey } from "../../../adapters/mavlink/framing.js";
import mavlink from "../../../adapters/mavlink/index.js";
import type { Adapter } from "../../../src/adapter-contract.js";
import { AdapterHarness } from "../../helpers/adapter-harness.js";
import { arduSubHeartbeat, byMetric, commandAck, FIXTURES, msgid, readTlogRecords } from "./helpers.js";
import { freeUdpPort, tcpVehicle, until } from "./net-helpers.js";

const records = readTlogRecords();
const vectors = JSON.parse(readFileSync(`${FIXTURES}mavlink_frame_vectors.json`, "utf8")).frames as {
  frame_hex: string;
  signing?: { secret_key_hex: string };
}[];
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

async function udpPeer() {
  const socket = createSocket("udp4");
  const datagrams: { message: Buffer; from: RemoteInfo }[] = [];
  socket.on("message", (message, from) => datagrams.push({ message, from }));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, datagrams, port: socket.address().port };
}

describe("MAVLink talking back", () => {
  it("udpout: sends to a listening vehicle, reads its answers and ignores other senders", async () => {
    const vehicle = await udpPeer();
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `udpout://127.0.0.1:${vehicle.port}`, gcs_heartbeat: true });
    await until(() => vehicle.datagrams.length > 0, "the GCS heartbeat", 3000);
    const bridge = vehicle.datagrams[0].from;
    expect(msgid(vehicle.datagrams[0].message)).toBe(0);

    const stranger = await udpPeer();
    const attitude = records.filter((r) => msgid(r.frame) === 30).slice(0, 5);
    for (const record of attitude) stranger.socket.send(record.frame, bridge.port, "127.0.0.1");
    for (const record of attitude.slice(0, 3)) vehicle.socket.send(record.frame, bridge.port, "127.0.0.1");
    await until(() => byMetric(harness.points, "attitude.roll").length >= 3, "the vehicle's frames");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(byMetric(harness.points, "attitude.roll")).toHaveLength(3);
  });

  it("signing: takes only correctly signed frames under require, and signs what it sends", async () => {
    const signed = vectors.find((v) => v.signing)!;
    const key = signed.signing!.secret_key_hex;
    const port = await freeUdpPort();
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `udp://127.0.0.1:${port}`, signing: "require", signing_key: key, gcs_heartbeat: true });
    const vehicle = await udpPeer();
    vehicle.socket.send(Buffer.from(signed.frame_hex, "hex"), port, "127.0.0.1");
    vehicle.socket.send(arduSubHeartbeat(), port, "127.0.0.1");
    await until(
      () => byMetric(harness.points, "heartbeat.custom_mode").length === 1 && harness.counters.get("unsigned_rejected") === 1,
      "both frames",
    );
    expect(byMetric(harness.points, "heartbeat.custom_mode")[0].tags).toMatchObject({ system_id: "1", component_id: "2" });

    await until(() => vehicle.datagrams.length > 0, "the signed GCS heartbeat", 3000);
    const sent = vehicle.datagrams[0].message;
    expect(sent[0]).toBe(0xfd);
    expect(sent[2] & 1).toBe(1);
    expect(signatureMatches(sent, 0, sent.length, signingKey(key))).toBe(true);
    expect(signatureMatches(sent, 0, sent.length, signingKey("not the key"))).toBe(false);
  });

  it("asks for stream rates again when the vehicle's heartbeat comes back, without fallback once accepted", async () => {
    let beating = true;
    let beat: NodeJS.Timeout | undefined;
    const vehicle = await tcpVehicle(
      cleanups,
      (socket) => {
        beat = setInterval(() => beating && socket.write(arduSubHeartbeat()), 100);
        socket.on("close", () => clearInterval(beat));
      },
      (command, socket) => socket.write(commandAck(command.command, 0)),
    );
    cleanups.push(() => clearInterval(beat));
    const harness = new AdapterHarness();
    await startAdapter(harness, {
      connection: `tcp://127.0.0.1:${vehicle.port}`,
      request_streams: { ATTITUDE: "5Hz", GLOBAL_POSITION_INT: "2Hz" },
      heartbeat_timeout: "300ms",
    });
    await until(() => vehicle.commands.length === 2, "the first stream requests");
    expect(vehicle.commands.map((c) => [c.command, c.param1, c.param2]).sort()).toEqual([
      [511, 30, 200_000],
      [511, 33, 500_000],
    ]);

    beating = false; // the vehicle goes quiet (radio out of range)…
    await until(() => harness.log.lines.some((line) => line.message === "vehicle heartbeat lost"), "heartbeat loss", 4000);
    beating = true; // …and comes back
    await until(() => vehicle.commands.length === 4, "the stream requests after it reappeared", 4000);
    expect(vehicle.received.filter((id) => id === 66)).toEqual([]);
  });

  it("asks for stream rates again after a reconnect, even when the heartbeat gap was shorter than heartbeat_timeout", async () => {
    // A flight controller on a TCP bridge (or USB) reboots and is back in about a second; its
    // SET_MESSAGE_INTERVAL rates did not survive the reboot.
    let beat: NodeJS.Timeout | undefined;
    const vehicle = await tcpVehicle(
      cleanups,
      (socket) => {
        beat = setInterval(() => socket.write(arduSubHeartbeat()), 100);
        socket.on("close", () => clearInterval(beat));
      },
      (command, socket) => socket.write(commandAck(command.command, 0)),
    );
    cleanups.push(() => clearInterval(beat));
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `tcp://127.0.0.1:${vehicle.port}`, request_streams: { ATTITUDE: "5Hz" } });
    await until(() => vehicle.commands.length === 1, "the first stream request");
    for (const socket of vehicle.sockets) socket.destroy();
    await until(() => vehicle.connections() === 2, "the reconnect", 4000);
    await until(() => vehicle.commands.length === 2, "the stream request on the new connection", 3000);
    expect(vehicle.commands.map((c) => [c.command, c.param1, c.param2])).toEqual([
      [511, 30, 200_000],
      [511, 30, 200_000],
    ]);
    expect(harness.log.lines.some((line) => line.message === "vehicle heartbeat lost")).toBe(false); // 5 s default: never lost
  });

  it("answers a MAVLink 1 vehicle in MAVLink 1", async () => {
    const v1Heartbeat = Buffer.from(vectors.find((v) => v.frame_hex.startsWith("fe09ef0102"))!.frame_hex, "hex");
    let beat: NodeJS.Timeout | undefined;
    const vehicle = await tcpVehicle(
      cleanups,
      (socket) => {
        beat = setInterval(() => socket.write(v1Heartbeat), 100);
        socket.on("close", () => clearInterval(beat));
      },
      (command, socket) => socket.write(commandAck(command.command, 0)),
    );
    cleanups.push(() => clearInterval(beat));
    const harness = new AdapterHarness();
    await startAdapter(harness, { connection: `tcp://127.0.0.1:${vehicle.port}`, request_streams: { ATTITUDE: "4Hz" } });
    await until(() => vehicle.commands.length === 1, "the stream request");
    expect(vehicle.commands[0]).toMatchObject({ version: 1, command: 511, targetSystem: 1, targetComponent: 2, param2: 250_000 });
    // QUADROTOR on ArduPilot, custom_mode 5.
    expect(byMetric(harness.points, "heartbeat.mode")[0].value).toBe("LOITER");
  });
});
