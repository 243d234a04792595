import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleLogger } from "../../src/log.js";
import { SystemdNotifier } from "../../src/systemd/notifier.js";
import { type ServiceReporter, startServiceReporter } from "../../src/systemd/service-reporter.js";
import type { StatsView } from "../../src/systemd/status-line.js";
import { hasPython3, NEEDS_PYTHON3, type NotifyListener, startNotifyListener } from "../helpers/notify-listener.js";
import { tempDir } from "../pipeline/queue-helpers.js";

const log = new ConsoleLogger({ level: "error" });
const healthy: StatsView = {
  sources: { s: { received: 0, pending: 0 } },
  adapter_state: { a: { state: "running" } },
  uplinks: { s: { connected: true, pending: 0 } },
};

let listener: NotifyListener | undefined;
let reporter: ServiceReporter | undefined;
let notifier: SystemdNotifier | undefined;
afterEach(async () => {
  reporter?.stop();
  notifier?.close();
  await listener?.stop();
  listener = reporter = notifier = undefined;
});

describe.skipIf(!hasPython3)(`the watchdog and the event loop (${NEEDS_PYTHON3})`, () => {
  it("is fed from the event loop: a blocked loop sends nothing, and feeding resumes after", async () => {
    listener = await startNotifyListener(join(tempDir(), "notify.sock"));
    notifier = await SystemdNotifier.fromEnv(log, { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: "400000" });
    expect(notifier?.watchdogMs).toBe(400);
    reporter = startServiceReporter(notifier!, () => healthy, log);
    await listener.waitFor(() => listener!.messages.filter((n) => n.fields.WATCHDOG).length >= 2, 10_000, "two WATCHDOG=1");

    notifier!.status("BLOCK-START");
    const until = Date.now() + 1000; // 2.5 watchdog periods with the loop held
    while (Date.now() < until) {
      // a runaway decoder
    }
    notifier!.status("BLOCK-END");
    const start = await listener.waitFor((n) => n.fields.STATUS === "BLOCK-START");
    const end = await listener.waitFor((n) => n.fields.STATUS === "BLOCK-END");
    const between = listener.messages.slice(listener.messages.indexOf(start) + 1, listener.messages.indexOf(end));
    expect(between.filter((n) => n.fields.WATCHDOG)).toEqual([]);
    const endAt = listener.messages.indexOf(end);
    await listener.waitFor((n) => n.fields.WATCHDOG === "1" && listener!.messages.indexOf(n) > endAt, 10_000, "WATCHDOG=1 after the block");
    expect(new Set(listener.messages.map((n) => n.pid))).toEqual(new Set([process.pid]));
  });

  it("WATCHDOG_PID naming another process turns the watchdog off; no NOTIFY_SOCKET means no notifier", async () => {
    listener = await startNotifyListener(join(tempDir(), "notify.sock"));
    notifier = await SystemdNotifier.fromEnv(log, { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: "400000", WATCHDOG_PID: "1" });
    expect(notifier?.watchdogMs).toBeUndefined();
    expect(await SystemdNotifier.fromEnv(log, {})).toBeUndefined();
  });

  it("reaches an abstract socket (NOTIFY_SOCKET=@name, as in containers and user managers)", async () => {
    listener = await startNotifyListener(`@plexus-bridge-test-${process.pid}-${Date.now()}`);
    notifier = await SystemdNotifier.fromEnv(log, { NOTIFY_SOCKET: listener.path });
    notifier!.ready("abstract");
    const ready = await listener.waitFor((n) => n.fields.READY === "1");
    expect(ready).toMatchObject({ pid: process.pid, fields: { READY: "1", STATUS: "abstract" } });
  });
});
