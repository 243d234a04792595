/**
 * Dashboard `configure` changes survive reloads and restarts: they are kept in
 * `<state dir>/configure-overlay.json`, one entry per adapter, with the fingerprint of the
 * adapter's YAML settings they were made on. At start and at each reload they are laid over an
 * adapter whose YAML is unchanged; once its YAML changes, the YAML wins and the entry is cleared,
 * with a log line. So the file stays the source of truth for anything a person edits, and a
 * tweak made from the dashboard is not silently undone by a restart.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AdapterConfig } from "./config/index.js";
import type { Logger } from "./log.js";
import { describeError } from "./supervisor.js";

export interface OverlayEntry {
  /** AdapterConfig.optionsKey of the YAML settings the change was made on. */
  yaml: string;
  /** The applied (parsed) option values. */
  changes: Record<string, unknown>;
  /** ISO time of the last change. */
  at: string;
}

const describeChanges = (changes: Record<string, unknown>) =>
  Object.entries(changes)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(" ");

export class ConfigureOverlay {
  private entries: Record<string, OverlayEntry> = {};

  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) this.entries = parsed as Record<string, OverlayEntry>;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ENOENT") this.log.warn(`ignoring ${file}: ${describeError(error)}`);
    }
  }

  static inStateDir(stateDir: string, log: Logger): ConfigureOverlay {
    return new ConfigureOverlay(join(stateDir, "configure-overlay.json"), log);
  }

  /** Lays the kept changes over these adapters' options (in place); clears those whose YAML changed. */
  apply(adapters: readonly AdapterConfig[]): void {
    let dirty = false;
    for (const adapter of adapters) {
      const entry = this.entries[adapter.id];
      if (!entry) continue;
      if (entry.yaml !== adapter.optionsKey) {
        this.log.info(
          `${adapter.id}: its YAML changed, so the dashboard's configure changes (${describeChanges(entry.changes)}) are cleared`,
        );
        delete this.entries[adapter.id];
        dirty = true;
        continue;
      }
      const merged = adapter.definition.options.safeParse({ ...adapter.options, ...entry.changes });
      if (!merged.success) {
        this.log.warn(`${adapter.id}: the dashboard's configure changes (${describeChanges(entry.changes)}) no longer validate; cleared`);
        delete this.entries[adapter.id];
        dirty = true;
        continue;
      }
      adapter.options = merged.data as Record<string, unknown>;
      this.log.info(`${adapter.id}: keeping the dashboard's configure changes of ${entry.at}: ${describeChanges(entry.changes)}`);
    }
    if (dirty) this.save();
  }

  /** Records an applied change; returns the error when it could not be saved (it still applies until the next restart). */
  record(adapter: AdapterConfig, applied: Record<string, unknown>): string | undefined {
    const previous = this.entries[adapter.id];
    const changes = previous?.yaml === adapter.optionsKey ? { ...previous.changes, ...applied } : { ...applied };
    this.entries[adapter.id] = { yaml: adapter.optionsKey, changes, at: new Date().toISOString() };
    return this.save();
  }

  /** adapter id → { changes, at }: what `status` and STATUS= show. */
  summary(): Record<string, { changes: Record<string, unknown>; at: string }> {
    return Object.fromEntries(Object.entries(this.entries).map(([id, e]) => [id, { changes: e.changes, at: e.at }]));
  }

  private save(): string | undefined {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(this.entries, null, 2)}\n`, { mode: 0o640 });
      renameSync(temp, this.file);
      return undefined;
    } catch (error) {
      const message = describeError(error);
      this.log.warn(`cannot save ${this.file}: ${message}; configure changes apply until the next restart only`);
      return message;
    }
  }
}
