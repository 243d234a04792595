/**
 * The unit install-service writes: the shipped systemd/plexus-bridge(@).service with the
 * absolute paths of the node binary and of the CLI actually installed. A bare
 * `plexus-bridge` in ExecStart= resolves only for some prefixes, never for a checkout or nvm,
 * and systemd's PATH does not include them.
 */

/** The command the shipped units name; install-service replaces it. */
export const SHIPPED_COMMAND = "/usr/local/bin/plexus-bridge";

export interface UnitPaths {
  node: string;
  cli: string;
}

export interface RenderOptions extends UnitPaths {
  /** systemd's version (`systemctl --version`), when known: ≥ 253 gets Type=notify-reload. */
  systemdVersion?: number;
}

/** systemd splits ExecStart= on spaces; a path with one (or a quote, backslash) must be quoted. */
export function quoteForExec(word: string): string {
  if (!/[\s"'\\;$%]/.test(word)) return word;
  return `"${word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "$$$$").replace(/%/g, "%%")}"`;
}

/** Folders ProtectHome=yes hides: node or the CLI there (nvm, a checkout in ~) needs read-only. */
function underHome(path: string): boolean {
  return /^\/(home|root|run\/user)(\/|$)/.test(path);
}

export function renderUnit(shipped: string, options: RenderOptions): string {
  const command = `${quoteForExec(options.node)} ${quoteForExec(options.cli)}`;
  let text = shipped.replaceAll(SHIPPED_COMMAND, command);
  if (underHome(options.node) || underHome(options.cli)) {
    text = text.replace(
      /^ProtectHome=yes$/m,
      "# install-service: node or the CLI lives under /home, /root or /run/user, which ProtectHome=yes hides.\nProtectHome=read-only",
    );
  }
  if ((options.systemdVersion ?? 0) >= 253) {
    // systemd sends SIGHUP itself and holds `systemctl reload` until RELOADING=1 … READY=1; a
    // config with errors is refused by the bridge (journal, STATUS=) while it keeps running.
    text = text.replace(/^Type=notify$/m, "# install-service: systemd >= 253.\nType=notify-reload").replace(/^ExecReload=.*\n/gm, "");
  }
  return text;
}

/** The major version from `systemctl --version` ("systemd 252 (252.39-1~deb12u2)"). */
export function parseSystemdVersion(output: string): number | undefined {
  const match = /^systemd (\d+)/m.exec(output);
  return match ? Number(match[1]) : undefined;
}
