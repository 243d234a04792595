/**
 * socat makes real pseudo-terminal pairs for the serial tests (slcan, MAVLink serial, Modbus RTU).
 * Off CI a developer may lack it: those tests are skipped, saying so. CI installs it (.ci/run), so
 * there its absence fails the run instead of quietly skipping.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const hasSocat = spawnSync("socat", ["-V"]).status === 0;
if (!hasSocat && process.env.CI === "true") throw new Error("socat is required in CI (apt-get install -y socat)");

/** For describe.skipIf names: why the block is skipped where socat is missing. */
export const NEEDS_SOCAT = "needs socat: apt-get install socat";

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
