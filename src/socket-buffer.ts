/**
 * Receive buffers of sockets that cannot be paused (UDP, SocketCAN). While nothing reads the
 * socket (a busy event loop, a descheduled thread) the kernel holds what arrives in its receive
 * buffer; when that is full it drops, and the bridge never learns it (only `RcvbufErrors` in
 * /proc/net/snmp does). A bigger buffer buys
 * time: what the kernel grants is capped by net.core.rmem_max, so the grant is read back and a
 * cap is named with the sysctl that lifts it.
 */
import { readFileSync } from "node:fs";

/** Linux doubles SO_RCVBUF for its own bookkeeping and reports the doubled figure back. */
const KERNEL_FACTOR = process.platform === "linux" ? 2 : 1;

function sysctlBytes(name: string): number | undefined {
  try {
    const value = Number(readFileSync(`/proc/sys/net/core/${name}`, "utf8").trim());
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** net.core.rmem_max, bytes; undefined where /proc is not there to tell. */
export const rmemMax = () => sysctlBytes("rmem_max");
/** net.core.rmem_default: the receive buffer of a socket that does not ask for one. */
export const rmemDefault = () => sysctlBytes("rmem_default");

export interface ReceiveBufferGrant {
  requested: number;
  /** What the kernel granted, in the same terms as the request (the doubling undone). */
  granted: number;
  capped: boolean;
}

/** What the kernel granted for a request, from the raw getsockopt(SO_RCVBUF) figure it reports. */
export function receiveBufferGrant(requested: number, reported: number): ReceiveBufferGrant {
  const granted = Math.floor(reported / KERNEL_FACTOR);
  return { requested, granted, capped: granted < requested };
}

const MiB = 1024 * 1024;
const human = (bytes: number) => (bytes >= MiB && bytes % (MiB / 4) === 0 ? `${bytes / MiB} MiB` : `${Math.round(bytes / 1024)} KiB`);

/**
 * SocketCAN sockets (the `socketcan` package offers no SO_RCVBUF) get net.core.rmem_default.
 * A small datagram takes about 800 bytes of socket buffer in the kernel (832 measured for a
 * 40-byte UDP datagram on this machine; a CAN frame's is of the same order, not measured: no
 * AF_CAN here), and a saturated 1 Mbit/s bus carries about 8,000 frames/s: the stock 208 KiB
 * (Linux doubles it: ~530 frames) lasts some 65 ms.
 * Returns a line of advice when the default holds less than `minBytes`; undefined otherwise.
 */
export function socketcanBufferAdvice(channel: string, rmemDefaultBytes: number | undefined, minBytes = 1024 * 1024): string | undefined {
  if (rmemDefaultBytes === undefined || rmemDefaultBytes >= minBytes) return undefined;
  const frames = Math.round((rmemDefaultBytes * KERNEL_FACTOR) / 800);
  return (
    `socketcan ${channel}: the socket's receive buffer is net.core.rmem_default (${human(rmemDefaultBytes)}, about ${frames} frames, ` +
    `${Math.round((frames / 8000) * 1000)} ms of a saturated 1 Mbit/s bus): frames arriving while the bridge is busy longer than that are dropped by the kernel. ` +
    `On a busy bus raise it: sysctl -w net.core.rmem_default=${4 * 1024 * 1024} (persist it in /etc/sysctl.d/)`
  );
}

/** The log line for a capped grant: what was asked, what was granted, and the sysctl to raise. */
export function cappedMessage(what: string, grant: ReceiveBufferGrant, max = rmemMax()): string {
  return (
    `${what}: receive buffer capped at ${human(grant.granted)} of the ${human(grant.requested)} asked for` +
    `${max === undefined ? "" : ` by net.core.rmem_max (${max})`}; datagrams that arrive while the bridge is busy overflow sooner. ` +
    `Raise it: sysctl -w net.core.rmem_max=${grant.requested} (persist it in /etc/sysctl.d/)`
  );
}
