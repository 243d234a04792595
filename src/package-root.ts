/**
 * The package's root folder (the one with package.json). Modules run from src/ in a checkout and
 * from dist/src/ once built, one folder deeper: paths to shipped files (config/, the version)
 * are found from here, never relative to the module.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("package.json not found above src/package-root");
    dir = parent;
  }
  return dir;
}
