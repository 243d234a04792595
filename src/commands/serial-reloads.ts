/**
 * SIGHUP reloads, one at a time and none before the daemon has started. A SIGHUP that arrives
 * while the daemon is still starting, or while an earlier reload runs, would otherwise reload
 * concurrently with it and could start an adapter twice: two instances on one port, one of them
 * owned by no supervisor. After a failed start no reload runs (the bridge is exiting).
 */
export class SerialReloads {
  private chain: Promise<unknown>;
  private startedOk = false;
  private markStarted: () => void = () => {};

  constructor() {
    this.chain = new Promise<void>((resolve) => {
      this.markStarted = resolve;
    });
  }

  /** The daemon's start() has finished, well (reloads may run) or not (none will). */
  started(ok: boolean): void {
    this.startedOk = ok;
    this.markStarted();
  }

  /** Runs `reload` after the start and after every reload asked for before it; rejects as it does. */
  run(reload: () => Promise<void>): Promise<void> {
    const result = this.chain.then(() => (this.startedOk ? reload() : undefined));
    this.chain = result.catch(() => undefined);
    return result;
  }
}
