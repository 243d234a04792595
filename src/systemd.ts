/**
 * sd_notify without a native module: Node's dgram cannot send to a unix datagram socket, so the
 * `systemd-notify` binary carries the message (the unit sets NotifyAccess=all for that reason).
 */
import { execFile } from "node:child_process";

export function notifySystemd(...assignments: string[]): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile("systemd-notify", [`--pid=${process.pid}`, ...assignments], () => {
    // Best effort: a missing binary must not take the bridge down.
  });
}

/** Pings the watchdog at half its period when the unit sets WatchdogSec=. */
export function startWatchdog(): NodeJS.Timeout | undefined {
  const usec = Number(process.env.WATCHDOG_USEC);
  if (!process.env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return undefined;
  const timer = setInterval(() => notifySystemd("WATCHDOG=1"), usec / 2000);
  timer.unref();
  return timer;
}
