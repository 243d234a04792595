/**
 * Register map files: load and validate a map YAML (for start()), and report its problems with
 * file:line:col (for `plexus-bridge check`). One map can serve any number of devices.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { FileProblem } from "../../src/adapter-contract.js";
import { readErrorReason } from "../../src/file-errors.js";
import type { DeviceOptions, ModbusOptions } from "./options.js";
import { type MapDefaults, mapFileSchema, type RegisterPoint, resolvePoint, resolvePoints } from "./register-map.js";

export function mapPath(file: string, configDir: string): string {
  return isAbsolute(file) ? file : resolve(configDir, file);
}

/** Reads and resolves a map file; throws one Error listing every problem with its position. */
export async function loadMapFile(file: string, configDir: string, deviceDefaults: MapDefaults = {}): Promise<RegisterPoint[]> {
  const path = mapPath(file, configDir);
  const text = await readFile(path, "utf8");
  const { problems, points } = analyseMap(path, text, deviceDefaults);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
  return points;
}

/** The points of a device: its map file, or its inline points, with the device's defaults. */
export async function devicePoints(device: DeviceOptions, configDir: string): Promise<RegisterPoint[]> {
  const defaults = deviceDefaults(device);
  if (device.map) return loadMapFile(device.map, configDir, defaults);
  return resolvePoints(device.points ?? [], defaults);
}

export function deviceDefaults(device: DeviceOptions): MapDefaults {
  return { address_base: device.address_base, byte_order: device.byte_order, word_order: device.word_order };
}

/** Every map file the options name, checked without any other I/O. */
export async function checkMapFiles(options: ModbusOptions, configDir: string): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  const checked = new Set<string>();
  for (const [index, device] of options.devices.entries()) {
    if (!device.map) continue;
    const path = mapPath(device.map, configDir);
    if (checked.has(path)) continue;
    checked.add(path);
    const option = ["devices", index, "map"];
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      problems.push({ file: path, line: 0, col: 0, message: `cannot read register map ${path}: ${readErrorReason(error)}`, option });
      continue;
    }
    problems.push(...analyseMap(path, text, deviceDefaults(device)).problems.map((problem) => ({ ...problem, option })));
  }
  return problems;
}

/** Parses, validates and resolves one map text; problems carry 1-based line and column. */
export function analyseMap(
  file: string,
  text: string,
  deviceDefaults: MapDefaults = {},
): { problems: FileProblem[]; points: RegisterPoint[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: FileProblem[] = [];
  const at = (offset: number, message: string) => problems.push({ file, ...lineCounter.linePos(offset), message });
  for (const error of doc.errors) at(error.pos[0], `YAML: ${error.message.split("\n")[0]}`);
  if (problems.length > 0) return { problems, points: [] };
  const parsed = mapFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const node = nearestNode(doc.contents as Node | null, issue.path as (string | number)[]);
      const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      at(node?.range?.[0] ?? 0, `${where}${issue.message}`);
    }
    return { problems, points: [] };
  }
  const map = parsed.data;
  const defaults: MapDefaults = {
    address_base: deviceDefaults.address_base ?? map.address_base,
    byte_order: deviceDefaults.byte_order ?? map.byte_order,
    word_order: deviceDefaults.word_order ?? map.word_order,
  };
  const points: RegisterPoint[] = [];
  const names = new Set<string>();
  map.points.forEach((point, i) => {
    const node = nearestNode(doc.contents as Node | null, ["points", i]);
    try {
      if (names.has(point.name)) throw new Error(`${point.name}: duplicate point name`);
      names.add(point.name);
      points.push(resolvePoint(point, defaults));
    } catch (error) {
      at(node?.range?.[0] ?? 0, `points.${i}: ${(error as Error).message}`);
    }
  });
  return { problems, points };
}

/** The deepest node along `path` that exists (a missing key points at its parent). */
function nearestNode(root: Node | null, path: (string | number)[]): Node | undefined {
  let node: Node | undefined = root ?? undefined;
  for (const key of path) {
    let child: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown })?.value === key);
      child = pair ? (pair.value ?? pair.key) : undefined;
    } else if (isSeq(node) && typeof key === "number") child = node.items[key];
    if (!child || typeof child !== "object" || !("range" in (child as object))) return node;
    node = child as Node;
  }
  return node;
}
