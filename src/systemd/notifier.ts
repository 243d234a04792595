/**
 * The bridge's side of sd_notify(3): READY, RELOADING (with MONOTONIC_USEC), STATUS, WATCHDOG,
 * STOPPING. Outside systemd (no $NOTIFY_SOCKET) there is no notifier and nothing is sent.
 */
import type { Logger } from "../log.js";
import { describeError } from "../supervisor.js";
import { type NotifySocket, openNotifySocket } from "./notify-socket.js";

/**
 * CLOCK_MONOTONIC in µs, which systemd ≥ 253 needs beside RELOADING=1 (Type=notify-reload) to
 * tell this reload from an earlier one. Node's hrtime is libuv's uv_hrtime, CLOCK_MONOTONIC on Linux.
 */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** STATUS= is one line; systemd shows it as is. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").slice(0, 200);
}

export class SystemdNotifier {
  private warned = false;

  private constructor(
    private readonly socket: NotifySocket,
    private readonly log: Logger,
    /** WatchdogSec= in ms when systemd watches this very process, else undefined. */
    readonly watchdogMs: number | undefined,
  ) {}

  /**
   * The notifier for $NOTIFY_SOCKET, or undefined when not run by systemd. A socket that cannot
   * be opened is logged and the bridge runs on (systemd then reports the start as timed out,
   * which says more than a crash would).
   */
  static async fromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<SystemdNotifier | undefined> {
    const address = env.NOTIFY_SOCKET;
    if (!address) return undefined;
    try {
      return new SystemdNotifier(await openNotifySocket(address), log, watchdogMs(env));
    } catch (error) {
      log.error(`cannot notify systemd through ${address}: ${describeError(error)}`);
      return undefined;
    }
  }

  ready(status?: string): void {
    this.send(["READY=1", ...(status ? [`STATUS=${oneLine(status)}`] : [])]);
  }

  reloading(status = "reloading the config"): void {
    this.send(["RELOADING=1", `MONOTONIC_USEC=${monotonicUsec()}`, `STATUS=${oneLine(status)}`]);
  }

  status(line: string): void {
    this.send([`STATUS=${oneLine(line)}`]);
  }

  watchdog(): void {
    this.send(["WATCHDOG=1"]);
  }

  stopping(status = "stopping: delivering the queue, spooling the rest"): void {
    this.send(["STOPPING=1", `STATUS=${oneLine(status)}`]);
  }

  close(): void {
    this.socket.close();
  }

  private send(lines: string[]): void {
    try {
      this.socket.send(`${lines.join("\n")}\n`);
    } catch (error) {
      // Once: a socket that refuses now will refuse every few seconds.
      if (this.warned) return;
      this.warned = true;
      this.log.warn(`systemd notification failed (${lines[0]}): ${describeError(error)}`);
    }
  }
}

/** WATCHDOG_USEC in ms, if the watchdog is on and WATCHDOG_PID (when set) is this process. */
function watchdogMs(env: NodeJS.ProcessEnv): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return usec / 1000;
}
