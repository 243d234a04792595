/**
 * The serial adapter at run time: a live port (SerialDevice) or a replayed capture (SerialReplay),
 * framing, and the format's decoder. Points of the frames that arrive in one read go to the
 * pipeline in one emit(); when the queue says stop, the port is paused until it has drained.
 */
import type { Adapter, AdapterContext, SensorInfo } from "../../src/adapter-contract.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { createDecoder } from "./decoder.js";
import type { FrameDecoder } from "./formats/format.js";
import { createFramer, type Framer, type FramingSpec } from "./framing.js";
import type { SerialOptions } from "./options.js";
import type { SerialReplay } from "./replay.js";
import type { SerialDevice } from "./transport.js";

const TEXT_FRAMING: FramingSpec = { delimiter: "\n" };
const MAX_DECODE_ERRORS_LOGGED = 10;

export class SerialAdapter implements Adapter {
  private decoder: FrameDecoder | undefined;
  private framer: Framer | undefined;
  private device: SerialDevice | undefined;
  private replay: SerialReplay | undefined;
  private pending: PointInput[] = [];
  private frames = 0;
  private flushQueued = false;
  private paused = false;
  private decodeErrorsLogged = 0;
  /** stop() may come while start() waits for an import: start() must then open nothing. */
  private stopped = false;

  constructor(
    private readonly options: SerialOptions,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const options = this.options;
    const count = (name: string, n?: number) => this.ctx.count(name, n);
    this.decoder = createDecoder(options, count);
    const framing = options.framing ?? TEXT_FRAMING;
    if (options.file !== undefined) {
      const { SerialReplay } = await import("./replay.js");
      if (this.stopped) return;
      this.replay = new SerialReplay({ ...options, file: options.file }, framing, this.decoder, this.ctx);
      return this.replay.start();
    }
    const decoder = this.decoder;
    const decodeText = decoder.decodeText?.bind(decoder);
    this.framer = createFramer(framing, options.max_line, {
      frame: (frame) => this.onFrame(() => decoder.decode(frame, this.pending)),
      text: decodeText ? (frame) => this.onFrame(() => decodeText(frame, this.pending)) : undefined,
      overlong: () => this.ctx.count("overlong_frames"),
      skipped: (bytes) => this.ctx.count("skipped_bytes", bytes),
    });
    const framer = this.framer;
    const { SerialDevice } = await import("./transport.js");
    if (this.stopped) return;
    this.device = new SerialDevice({ ...options, device: options.device ?? "" }, this.ctx, {
      opened: () => framer.reset(),
      data: (chunk) => framer.push(chunk),
    });
    await this.device.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.device?.stop(), this.replay?.stop()]);
    this.framer?.reset();
    this.flush();
  }

  describe(): SensorInfo {
    const where = this.options.device ?? `replay of ${this.options.file}`;
    return { description: `serial ${where}, ${this.options.format}` };
  }

  /**
   * Decodes one frame. Decoders count bad input rather than throw; a throw is a bug, and it must
   * cost that frame only, not the port's data handler (and with it the process).
   */
  private onFrame(decode: () => void): void {
    this.frames++;
    try {
      decode();
    } catch (error) {
      this.ctx.count("decode_errors");
      if (this.decodeErrorsLogged++ < MAX_DECODE_ERRORS_LOGGED) this.ctx.log.error(`decoding a frame failed: ${(error as Error).message}`);
    }
    this.device?.frameReceived();
    this.queueFlush();
  }

  /** Frames of one read are decoded synchronously; their points leave together once the read is done. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.frames > 0) {
      this.ctx.count("frames", this.frames);
      this.frames = 0;
    }
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    if (this.ctx.emit(points) || this.paused || !this.device) return;
    this.paused = true;
    this.device.pause();
    void this.ctx.drained().then(() => {
      this.paused = false;
      this.device?.resume();
    });
  }
}
