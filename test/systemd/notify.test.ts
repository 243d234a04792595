/**
 * sd_notify from the bridge's main process, checked the way systemd checks it with
 * NotifyAccess=main: a unix datagram socket with SO_PASSCRED (python3, test/helpers/notify-listener)
 * reads each datagram with the pid the kernel stamped on it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import { type Child, spawnChild } from "../helpers/child.js";
import { hasPython3, NEEDS_PYTHON3, type NotifyListener, startNotifyListener } from "../helpers/notify-listener.js";
import { smallGatewayNodeOptions } from "../helpers/shipped-node-options.js";
import { writeTestseqConfig } from "../helpers/test-adapter.js";
import { tempDir } from "../pipeline/queue-helpers.js";

let gateway: Gateway | undefined;
let listener: NotifyListener | undefined;
let child: Child | undefined;
afterEach(async () => {
  if (child && child.process.exitCode === null) child.process.kill("SIGKILL");
  await child?.exited;
  await listener?.stop();
  await gateway?.close();
  child = listener = gateway = undefined;
});

const writeConfig = (dir: string, url: string, plexus: string[] = []) => writeTestseqConfig(dir, { url, sourceId: "notify-test", plexus });

describe.skipIf(!hasPython3)(`systemd notifications (${NEEDS_PYTHON3})`, () => {
  it("READY, STATUS, WATCHDOG, RELOADING with MONOTONIC_USEC, STOPPING: all from the main pid", async () => {
    gateway = await startGateway();
    const dir = tempDir();
    const file = writeConfig(dir, gateway.url);
    listener = await startNotifyListener(join(dir, "notify.sock"));
    // WATCHDOG_USEC=2 s: the reporter ticks every 500 ms, so the test sees a few of each.
    child = spawnChild(["cli", "run", "-c", file], { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: "2000000" });
    const pid = child.process.pid;

    const ready = await listener.waitFor((n) => n.fields.READY === "1", 30_000, "READY=1");
    // At READY the adapter may still be starting and the uplink connecting: the line says so.
    expect(ready.fields.STATUS).toMatch(/^(0\/)?1 adapter up( \(gen starting\))? · 0 pts\/s · queue \d+ · uplink \w+/);
    await listener.waitFor((n) => n.fields.WATCHDOG === "1", 10_000, "WATCHDOG=1");
    const live = await listener.waitFor(
      (n) => /uplink ok rtt \d+ ms/.test(n.fields.STATUS ?? "") && !n.fields.READY,
      20_000,
      "a live STATUS",
    );
    expect(live.fields.STATUS).toMatch(/^1 adapter up · [\d.]+k? pts\/s · queue [\d.]+k? · uplink ok rtt \d+ ms$/);

    child.process.kill("SIGHUP");
    const reloading = await listener.waitFor((n) => n.fields.RELOADING === "1", 10_000, "RELOADING=1");
    // The same clock as the listener's CLOCK_MONOTONIC: stamped before it was read, and recently.
    const stamped = Number(reloading.fields.MONOTONIC_USEC);
    expect(Number.isInteger(stamped)).toBe(true);
    expect(stamped).toBeLessThanOrEqual(reloading.receivedUsec);
    expect(stamped).toBeGreaterThan(reloading.receivedUsec - 60_000_000);
    const reloadAt = listener.messages.indexOf(reloading);
    await listener.waitFor((n) => n.fields.READY === "1" && listener!.messages.indexOf(n) > reloadAt, 10_000, "READY=1 after the reload");

    // A broken config: refused, the bridge runs on, and the status line says so.
    writeFileSync(file, "plexus:\n  source_id: notify-test\nadaptors: {}\n");
    const before = listener.messages.length;
    child.process.kill("SIGHUP");
    const refused = await listener.waitFor(
      (n) => n.fields.READY === "1" && listener!.messages.indexOf(n) >= before,
      10_000,
      "READY=1 after the refused reload",
    );
    expect(refused.fields.STATUS).toMatch(/^1 adapter up · .* · reload refused: \d+ problem\(s\) in .*config\.yaml$/);

    child.process.kill("SIGTERM");
    await listener.waitFor((n) => n.fields.STOPPING === "1", 10_000, "STOPPING=1");
    expect(await child.exited).toBe(0);

    const kinds = new Set(listener.messages.flatMap((n) => Object.keys(n.fields)));
    expect([...kinds].sort()).toEqual(["MONOTONIC_USEC", "READY", "RELOADING", "STATUS", "STOPPING", "WATCHDOG"]);
    // Every datagram came from the bridge's own process, as NotifyAccess=main requires.
    expect(new Set(listener.messages.map((n) => n.pid))).toEqual(new Set([pid]));
  }, 90_000);

  it("under the small-gateway NODE_OPTIONS the environment file offers (--jitless): READY, STATUS, WATCHDOG, STOPPING from the main pid", async () => {
    const smallGateway = smallGatewayNodeOptions();
    gateway = await startGateway();
    const dir = tempDir();
    const file = writeConfig(dir, gateway.url);
    listener = await startNotifyListener(join(dir, "notify.sock"));
    // koffi calls libc through its prebuilt trampolines, so sd_notify needs no JIT.
    child = spawnChild(["cli", "run", "-c", file], { NODE_OPTIONS: smallGateway, NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: "2000000" });
    const pid = child.process.pid;
    await listener.waitFor((n) => n.fields.READY === "1", 30_000, "READY=1");
    await listener.waitFor((n) => n.fields.WATCHDOG === "1", 10_000, "WATCHDOG=1");
    await listener.waitFor((n) => /uplink ok rtt \d+ ms/.test(n.fields.STATUS ?? ""), 20_000, "a live STATUS");
    child.process.kill("SIGTERM");
    await listener.waitFor((n) => n.fields.STOPPING === "1", 10_000, "STOPPING=1");
    expect(await child.exited).toBe(0);
    expect(new Set(listener.messages.map((n) => n.pid))).toEqual(new Set([pid]));
    expect(gateway.points.filter((p) => String(p.metric).startsWith("gen.")).length).toBeGreaterThan(0);
  }, 90_000);

  it("a connected uplink that stops acknowledging starves the watchdog and says so in STATUS", async () => {
    // After 3 s of normal traffic the gateway's link holds everything it is sent for a minute:
    // the WebSocket stays open, nothing is acknowledged (ack_timeout 2m keeps the uplink waiting).
    gateway = await startGateway({ faults: { stallEveryMs: 3000, stallForMs: 60_000 } });
    const dir = tempDir();
    const file = writeConfig(dir, gateway.url, ["  ack_timeout: 2m"]);
    listener = await startNotifyListener(join(dir, "notify.sock"));
    child = spawnChild(["cli", "run", "-c", file], { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: "2000000" });

    await listener.waitFor((n) => n.fields.WATCHDOG === "1", 30_000, "WATCHDOG=1 while healthy");
    const stuck = await listener.waitFor((n) => (n.fields.STATUS ?? "").startsWith("STUCK"), 30_000, "a STUCK status");
    expect(stuck.fields.STATUS).toMatch(/^STUCK notify-test: \d+ points pending on a connected uplink, no progress for \d+ s · /);
    // Three more status ticks (1.5 s): none of them, nor anything between, fed the watchdog.
    const at = listener.messages.indexOf(stuck);
    await listener.waitFor(
      () => listener!.messages.filter((n, i) => i > at && n.fields.STATUS).length >= 3,
      10_000,
      "three more STATUS lines",
    );
    expect(listener.messages.slice(at).filter((n) => n.fields.WATCHDOG)).toEqual([]);
    expect(child.stderr.join("\n")).toContain("watchdog withheld, systemd will restart the bridge: notify-test:");
  }, 90_000);
});
