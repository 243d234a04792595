/**
 * Replays a .tlog file (each frame preceded by its capture time, 8 bytes big-endian µs). The
 * pacing by capture time happens above, in the replay handler: this only reads the file in
 * chunks and waits for each chunk to be handled, so backpressure reaches the disk.
 */
import { open } from "node:fs/promises";
import type { Transport, TransportEvents } from "./transport.js";

const CHUNK = 64 * 1024;

export class TlogTransport implements Transport {
  readonly description: string;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly loopForever: boolean,
    /**
     * Called after each pass over the file with whether another follows; returns why the replay
     * must end anyway (e.g. no frame in the file), if it must.
     */
    private readonly onPassEnd: (more: boolean) => string | undefined | Promise<string | undefined>,
  ) {
    this.description = `tlog ${path}`;
  }

  async start(events: TransportEvents): Promise<void> {
    // Open now so a missing file fails start() with a clear error instead of a silent replay.
    const file = await open(this.path, "r");
    events.status("up", `replaying ${this.path}`);
    this.loop = this.run(file, events).finally(() => file.close());
  }

  private async run(file: Awaited<ReturnType<typeof open>>, events: TransportEvents) {
    const signal = this.stopping.signal;
    do {
      events.reset();
      let position = 0;
      while (!signal.aborted) {
        const buffer = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await file.read(buffer, 0, CHUNK, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        await events.data(buffer.subarray(0, bytesRead), false);
      }
      if (signal.aborted) return;
      const end = await this.onPassEnd(this.loopForever);
      if (end) {
        events.status("down", end);
        return;
      }
    } while (this.loopForever && !signal.aborted);
    // The end of a replay is reported by ctx.finished() (in onPassEnd), not as the link going
    // down: a dashboard would show a finished replay as a fault.
  }

  send(): boolean {
    return false; // a recording cannot be talked to
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }
}
