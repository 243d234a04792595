/**
 * Walking the server's address space: browse paths ("/Objects/Line1/Motor/Current") to NodeIds,
 * discovery of every Variable under a root, and the labels of enumerated data types. Runs at
 * every (re)connect, after the NamespaceArray is known.
 */
import { AttributeIds, BrowseDirection, type ClientSession, NodeClass, type ReferenceDescription } from "node-opcua-client";
import { globMatcher, resolveNodeIdText } from "./node-id.js";
import type { BrowseOptions } from "./options.js";

const ROOT_FOLDER = "i=84";
const HIERARCHICAL = "i=33";
const HAS_PROPERTY = "i=46";
/** Discovery stops here: a root that expands to more is probably a mistake (a whole server). */
export const DISCOVERY_LIMIT = 50_000;

export async function children(session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: HIERARCHICAL,
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  });
  if (result.statusCode.isNotGood()) throw new Error(`${result.statusCode.name} browsing ${nodeId}`);
  const references = [...(result.references ?? [])];
  let continuation = result.continuationPoint;
  while (continuation && continuation.length > 0) {
    const next = await session.browseNext(continuation, false);
    references.push(...(next.references ?? []));
    continuation = next.continuationPoint;
  }
  return references;
}

/** "/Objects/Line1/Motor/Current" → the NodeId, step by step; "2:Name" pins a namespace index. */
export async function resolveBrowsePath(session: ClientSession, path: string): Promise<string> {
  let current = ROOT_FOLDER;
  for (const step of path.split("/").filter((s) => s.length > 0)) {
    const pinned = /^(\d+):(.*)$/.exec(step);
    const name = pinned ? pinned[2] : step;
    const namespaceIndex = pinned ? Number(pinned[1]) : undefined;
    const match = (await children(session, current)).find(
      (ref) => ref.browseName.name === name && (namespaceIndex === undefined || ref.browseName.namespaceIndex === namespaceIndex),
    );
    if (!match) throw new Error(`BadNoMatch: no "${step}" under ${current} (browse path ${path})`);
    current = match.nodeId.toString();
  }
  return current;
}

export interface DiscoveredVariable {
  nodeId: string;
  /** The dotted browse-name path below the root, "Motor.Current". */
  path: string;
}

/** Every Variable below a browse root (not properties), filtered by include/exclude globs. */
export async function discoverVariables(session: ClientSession, root: BrowseOptions, namespaces: string[]): Promise<DiscoveredVariable[]> {
  const include = root.include.map(globMatcher);
  const exclude = root.exclude.map(globMatcher);
  const found: DiscoveredVariable[] = [];
  const seen = new Set<string>();
  let level: { nodeId: string; path: string }[] = [{ nodeId: resolveNodeIdText(root.root, namespaces), path: "" }];
  for (let depth = 1; depth <= root.depth && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const parent of level) {
      for (const ref of await children(session, parent.nodeId)) {
        if (ref.referenceTypeId.toString() === HAS_PROPERTY) continue;
        const nodeId = ref.nodeId.toString();
        if (seen.has(nodeId)) continue;
        seen.add(nodeId);
        const path = parent.path ? `${parent.path}.${ref.browseName.name}` : String(ref.browseName.name);
        if (ref.nodeClass === NodeClass.Variable && include.some((m) => m(path)) && !exclude.some((m) => m(path))) {
          found.push({ nodeId, path });
          if (found.length >= DISCOVERY_LIMIT) return found;
        }
        if (ref.nodeClass === NodeClass.Object || ref.nodeClass === NodeClass.Variable) next.push({ nodeId, path });
      }
    }
    level = next;
  }
  return found;
}

/**
 * The labels of each enumerated data type among `dataTypes`, from its EnumStrings (index → text)
 * or EnumValues (value → display name) property. Types without either are left out.
 */
export async function enumLabels(session: ClientSession, dataTypes: string[]): Promise<Map<string, Map<number, string>>> {
  const labels = new Map<string, Map<number, string>>();
  for (const dataType of dataTypes) {
    const property = (await children(session, dataType)).find(
      (ref) => ref.browseName.namespaceIndex === 0 && (ref.browseName.name === "EnumStrings" || ref.browseName.name === "EnumValues"),
    );
    if (!property) continue;
    const dataValue = await session.read({ nodeId: property.nodeId, attributeId: AttributeIds.Value });
    const items = (dataValue.value?.value ?? []) as unknown[];
    const map = new Map<number, string>();
    if (property.browseName.name === "EnumStrings") {
      for (const [i, text] of items.entries()) map.set(i, (text as { text?: string }).text ?? String(i));
    } else
      for (const item of items as { value: unknown; displayName?: { text?: string } }[]) {
        const raw = item.value;
        const value = Array.isArray(raw) ? raw[0] * 2 ** 32 + raw[1] : Number(raw);
        map.set(value, item.displayName?.text ?? String(value));
      }
    labels.set(dataType, map);
  }
  return labels;
}
