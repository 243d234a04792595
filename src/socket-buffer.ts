/**
 * Receive buffers of sockets that cannot be paused (UDP, SocketCAN). While the event loop is busy
 * the kernel holds what arrives in the socket's receive buffer; when that is full it drops, and
 * the bridge never learns it (only `RcvbufErrors` in /proc/net/snmp does). A bigger buffer buys
 * time: what the kernel grants is capped by net.core.rmem_max, so the grant is read back and a
 * cap is named with the sysctl that lifts it.
 */
import { readFileSync } from "node:fs";

/** Linux doubles SO_RCVBUF for its own bookkeeping and reports the doubled figure back. */
const KERNEL_FACTOR = process.platform === "linux" ? 2 : 1;

/** net.core.rmem_max, bytes; undefined where /proc is not there to tell. */
export function rmemMax(read: (path: string) => string = (path) => readFileSync(path, "utf8")): number | undefined {
  try {
    const value = Number(read("/proc/sys/net/core/rmem_max").trim());
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

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

/** The log line for a capped grant: what was asked, what was granted, and the sysctl to raise. */
export function cappedMessage(what: string, grant: ReceiveBufferGrant, max = rmemMax()): string {
  return (
    `${what}: receive buffer capped at ${human(grant.granted)} of the ${human(grant.requested)} asked for` +
    `${max === undefined ? "" : ` by net.core.rmem_max (${max})`}; datagrams that arrive while the bridge is busy overflow sooner. ` +
    `Raise it: sysctl -w net.core.rmem_max=${grant.requested} (persist it in /etc/sysctl.d/)`
  );
}
