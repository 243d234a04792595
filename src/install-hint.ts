/**
 * The command that adds an optional module to this bridge, as it was installed. Node looks for a
 * module in the node_modules folders above the importing file, so where the module has to go
 * depends on the layout: a global install (`npm install -g`) finds siblings in npm's global root,
 * a project's dependency finds the project's node_modules, a checkout its own node_modules — where
 * a plain `npm install` would also rewrite package.json, hence --no-save. One helper, so every
 * missing-module message names the same, right command.
 */
import path from "node:path";
import { packageRoot } from "./package-root.js";

export type InstallLayout =
  /** prefix: set when it is not the one npm defaults to for this node (an install with --prefix). */
  { kind: "global"; prefix?: string } | { kind: "project"; project: string } | { kind: "checkout"; checkout: string };

/**
 * How the package at `root` was installed. `execPath` places npm's global root
 * (`<prefix>/lib/node_modules`, prefix = two levels above node); any node_modules inside a folder
 * named lib counts as global too (an install with --prefix, or by another node), and then the
 * command names that prefix, since a plain `npm install -g` would put the module elsewhere.
 */
export function installLayout(root: string, execPath: string = process.execPath): InstallLayout {
  const parent = path.dirname(root);
  // A scoped package (node_modules/@scope/name) has one more level.
  const modules = path.basename(parent).startsWith("@") ? path.dirname(parent) : parent;
  if (path.basename(modules) !== "node_modules") return { kind: "checkout", checkout: root };
  const globalRoot = path.join(path.dirname(path.dirname(execPath)), "lib", "node_modules");
  if (modules === globalRoot) return { kind: "global" };
  if (path.basename(path.dirname(modules)) === "lib") return { kind: "global", prefix: path.dirname(path.dirname(modules)) };
  return { kind: "project", project: path.dirname(modules) };
}

/** `npm install …` for `specs` (e.g. "better-sqlite3@12"), to be run as is. */
export function installCommand(specs: readonly string[], layout: InstallLayout): string {
  const packages = specs.join(" ");
  switch (layout.kind) {
    case "global":
      return layout.prefix === undefined
        ? `npm install -g ${packages}`
        : `npm install -g --prefix ${shellQuote(layout.prefix)} ${packages}`;
    case "project":
      return `cd ${shellQuote(layout.project)} && npm install ${packages}`;
    case "checkout":
      return `cd ${shellQuote(layout.checkout)} && npm install --no-save ${packages}`;
  }
}

/** installCommand() for this running bridge. */
export function installHint(...specs: string[]): string {
  return installCommand(specs, installLayout(packageRoot()));
}

/** Quotes a path only when a shell would split or expand it. */
function shellQuote(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
