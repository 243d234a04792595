/**
 * A vehicle in a child process: sends the MAVLink frames of a tlog as UDP datagrams, one frame
 * each, at a steady rate (looping the file), so the bridge's event loop cannot slow the sender.
 *   const sender = forkUdpSender({ file, port, rate: 4000, seconds: 20 });
 *   const sent = await sender.done;   // datagrams sent
 */
import { fork } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface UdpSenderSettings {
  file: string;
  port: number;
  /** Datagrams per second. */
  rate: number;
  seconds: number;
}

const CHILD_FLAG = "--bench-udp-sender";

export function forkUdpSender(settings: UdpSenderSettings): { done: Promise<number> } {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, JSON.stringify(settings)], { execArgv: ["--import", "tsx"] });
  return { done: new Promise((resolve) => child.once("message", (m) => resolve((m as { sent: number }).sent))) };
}

/** The frames of a tlog: each record is an 8-byte timestamp, then one MAVLink v1 or v2 frame. */
export function tlogFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at + 8 + 2 <= bytes.length) {
    const start = at + 8;
    const magic = bytes[start];
    const length = bytes[start + 1];
    const size = magic === 0xfe ? 8 + length : magic === 0xfd ? 12 + length + (bytes[start + 2] & 1 ? 13 : 0) : -1;
    if (size < 0 || start + size > bytes.length) break;
    frames.push(bytes.subarray(start, start + size));
    at = start + size;
  }
  return frames;
}

async function senderChild(settings: UdpSenderSettings) {
  const frames = tlogFrames(readFileSync(settings.file));
  const socket = createSocket("udp4");
  const started = performance.now();
  const total = Math.round(settings.rate * settings.seconds);
  let sent = 0;
  // Catch up on schedule every millisecond: the rate holds even when a timer fires late.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * settings.rate));
    for (; sent < due; sent++) socket.send(frames[sent % frames.length], settings.port, "127.0.0.1");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // Let the last sends leave before closing.
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.close();
  process.send!({ sent });
  process.exit(0);
}

const flag = process.argv.indexOf(CHILD_FLAG);
if (flag > 0) void senderChild(JSON.parse(process.argv[flag + 1]));
