/**
 * Every few seconds: STATUS= with the one-line summary, and WATCHDOG=1 when the bridge is well.
 *
 * The watchdog is fed from a timer on the main event loop, so a loop blocked by a runaway
 * decoder starves it; and it is withheld while an uplink is stuck (StallDetector), so systemd
 * restarts the bridge (WatchdogSec=, WatchdogSignal=SIGTERM in the unit: the queue is spooled on
 * the way down). A disconnected uplink or a down adapter does not starve it: the bridge retries
 * those itself, and a restart would only lose its backoff state.
 */
import type { Logger } from "../log.js";
import type { SystemdNotifier } from "./notifier.js";
import { StallDetector } from "./stall-detector.js";
import { type StatsView, StatusLine } from "./status-line.js";

const STATUS_INTERVAL_MS = 5000;

export interface ServiceReporter {
  /** A note appended to the status line until replaced (e.g. a refused reload); undefined clears it. */
  note(text: string | undefined): void;
  /** Sends the status now (after start or a reload) and returns it. */
  report(): string;
  stop(): void;
}

export function startServiceReporter(
  notifier: SystemdNotifier,
  stats: () => StatsView,
  log: Logger,
  now: () => number = () => performance.now(),
): ServiceReporter {
  const watchdogMs = notifier.watchdogMs;
  const stalls = watchdogMs === undefined ? undefined : new StallDetector(watchdogMs / 2);
  const line = new StatusLine();
  let note: string | undefined;
  let stuck = false;

  const report = (): string => {
    const current = stats();
    const at = now();
    const problems = stalls?.check(current.uplinks, at) ?? [];
    let text = line.format(current, at);
    if (problems.length > 0) {
      text = `STUCK ${problems.join("; ")} · ${text}`;
      if (!stuck) log.error(`watchdog withheld, systemd will restart the bridge: ${problems.join("; ")}`);
    } else if (stuck) {
      log.info("uplink moving again: watchdog resumed");
    }
    stuck = problems.length > 0;
    if (note) text += ` · ${note}`;
    notifier.status(text);
    if (watchdogMs !== undefined && !stuck) notifier.watchdog();
    return text;
  };

  // Half the watchdog period at most, as sd_watchdog_enabled(3) advises; STATUS every 5 s.
  const interval = watchdogMs === undefined ? STATUS_INTERVAL_MS : Math.min(STATUS_INTERVAL_MS, watchdogMs / 4);
  const timer = setInterval(report, interval);
  timer.unref();
  return {
    note(text) {
      note = text;
    },
    report,
    stop() {
      clearInterval(timer);
    },
  };
}
