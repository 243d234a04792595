/**
 * socat makes real pseudo-terminal pairs for the serial tests (slcan, MAVLink serial, Modbus RTU).
 * A system peer (system-peer.ts): off CI a developer may lack it and those tests are skipped,
 * saying so; CI installs it (.ci/run), so there its absence fails the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { commandWorks, requirePeer } from "./system-peer.js";

const socat = requirePeer({ name: "socat", apt: "socat", probe: () => commandWorks("socat", ["-V"]) });

export const hasSocat = socat.available;

/** For describe.skipIf names: why the block is skipped where socat is missing. */
export const NEEDS_SOCAT = socat.reason;

export interface PtyPair {
  /** Kills socat and waits for it: both ends vanish, as when a USB adapter is pulled. */
  stop(): Promise<void>;
}

/** Starts socat with a pty pair linked at `a` and `b`, resolving once both links exist. */
export async function startPtyPair(a: string, b: string): Promise<PtyPair> {
  const child: ChildProcess = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error("socat did not create the pty pair");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
