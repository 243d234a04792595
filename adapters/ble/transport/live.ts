/**
 * Live Bluetooth: scans through a Radio and hands advertisements to the runtime; keeps GATT
 * connections to the configured peripherals (at most max_connections), subscribed to their
 * characteristics, reconnecting with backoff. A radio that cannot open (no controller, no
 * library, no permission) is a `down` state with one clear message, retried with backoff: the
 * other adapters never notice.
 */
import type { AdapterContext } from "../../../src/adapter-contract.js";
import { Backoff, sleep } from "../../../src/backoff.js";
import { layoutFieldValue } from "../../../src/decoding/typed-field-schema.js";
import { normaliseAddress } from "../advertisement.js";
import { standardCharacteristic } from "../decoders/gatt.js";
import type { DecodeResult } from "../decoders/reading.js";
import type { BleOptions } from "../options.js";
import type { BleRuntime } from "../runtime.js";
import type { Radio, RadioPeripheral } from "./radio.js";

type GattDevice = BleOptions["gatt"][number];
type Notify = GattDevice["notify"][number];

interface Connection {
  device: GattDevice;
  name: string;
  state: "idle" | "connecting" | "connected";
  backoff: Backoff;
  /** Monotonic ms before which no new attempt is made. */
  retryAt: number;
}

export class LiveTransport {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private radio: Radio | undefined;
  private readonly connections = new Map<string, Connection>();

  constructor(
    private readonly options: BleOptions,
    private readonly runtime: BleRuntime,
    private readonly ctx: AdapterContext,
    private readonly openRadio: (iface: string) => Promise<Radio>,
  ) {
    for (const device of options.gatt) {
      const address = normaliseAddress(device.address);
      this.connections.set(address, {
        device,
        name: device.name ?? address.replace(/:/g, ""),
        state: "idle",
        backoff: new Backoff({ initialMs: options.reconnect_min, maxMs: options.reconnect_max }),
        retryAt: 0,
      });
    }
    ctx.signal.addEventListener("abort", () => this.abort.abort(), { once: true });
  }

  async start(): Promise<void> {
    this.ctx.status("connecting", `opening ${this.options.interface}`);
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await this.radio?.stopScanning().catch(() => undefined);
  }

  /** Opens the radio until it works, with backoff; then scans until stopped. */
  private async run(): Promise<void> {
    const backoff = new Backoff({ initialMs: this.options.reconnect_min, maxMs: this.options.reconnect_max });
    let lastError = "";
    while (!this.abort.signal.aborted) {
      try {
        const radio = await this.openRadio(this.options.interface);
        await radio.ready();
        await radio.startScanning((advertisement, peripheral) => {
          this.runtime.onAdvertisement(advertisement);
          this.maybeConnect(peripheral);
        });
        this.radio = radio;
        this.runtime.startPresence();
        this.ctx.status("up", `scanning on ${this.options.interface}`);
        return;
      } catch (error) {
        const message = (error as Error).message;
        const delay = backoff.next();
        this.ctx.status("down", message);
        // One log line per distinct reason, not one per retry.
        if (message !== lastError) this.ctx.log.error(`${message} (retrying with backoff)`);
        lastError = message;
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private maybeConnect(peripheral: RadioPeripheral): void {
    const connection = this.connections.get(peripheral.address);
    if (connection?.state !== "idle" || this.abort.signal.aborted) return;
    if (this.ctx.clock.monotonicMs() < connection.retryAt) return;
    const open = [...this.connections.values()].filter((c) => c.state !== "idle").length;
    if (open >= this.options.max_connections) return;
    connection.state = "connecting";
    void this.connect(connection, peripheral);
  }

  private async connect(connection: Connection, peripheral: RadioPeripheral): Promise<void> {
    const label = `${connection.name} (${peripheral.address})`;
    try {
      await peripheral.connect();
      peripheral.onDisconnect(() => this.lost(connection, `${label} disconnected`));
      for (const notify of connection.device.notify) {
        await peripheral.subscribe(notify.service, notify.characteristic, (value) =>
          this.runtime.onCharacteristic(connection.name, decodeCharacteristic(notify, value)),
        );
      }
      connection.state = "connected";
      connection.backoff.reset();
      this.ctx.log.info(`GATT connected to ${label}: ${connection.device.notify.length} subscription(s)`);
    } catch (error) {
      await peripheral.disconnect().catch(() => undefined);
      this.lost(connection, `GATT connection to ${label} failed: ${(error as Error).message}`);
    }
  }

  /** Reconnects on the next advertisement after the backoff (a peripheral out of range is not hammered). */
  private lost(connection: Connection, why: string): void {
    if (connection.state === "idle") return;
    connection.state = "idle";
    const delay = connection.backoff.next();
    connection.retryAt = this.ctx.clock.monotonicMs() + delay;
    this.ctx.count("gatt_disconnects");
    if (!this.abort.signal.aborted) this.ctx.log.warn(`${why}; reconnecting in ${Math.round(delay / 100) / 10} s`);
  }
}

/** A notification's value: a standard characteristic's decoder, or the configured layout. */
export function decodeCharacteristic(notify: Notify, value: Buffer): DecodeResult {
  if (notify.fields) {
    try {
      return {
        readings: notify.fields.map((field) => ({ quantity: field.name, value: layoutFieldValue(value, field), unit: field.unit })),
      };
    } catch {
      return { readings: [], problem: "malformed" };
    }
  }
  const decode = standardCharacteristic(notify.characteristic);
  return decode ? decode(value) : { readings: [], problem: "unknown_characteristic" };
}
