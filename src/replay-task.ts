/**
 * A replay (candump log, serial capture) runs in the background after start(). A failure that
 * is not a stop must not vanish into an unhandled rejection: it is logged and shown as `down`.
 */
import type { AdapterContext } from "./adapter-contract.js";

export function runReplay(run: () => Promise<void>, signal: AbortSignal, ctx: AdapterContext): Promise<void> {
  return run().catch((error: Error) => {
    if (signal.aborted) return;
    ctx.log.error(`replay failed: ${error.message}`);
    ctx.status("down", `replay failed: ${error.message}`);
  });
}
