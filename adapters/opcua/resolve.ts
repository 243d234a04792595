/**
 * The configured nodes → what this server calls them today: `nsu=` ids and browse paths resolved
 * against the NamespaceArray and address space read at this connect, browse roots expanded, and
 * every node checked with one Read of its DataType. A node that does not exist or is not a
 * Variable is refused with its status code; the others go on.
 */
import { AttributeIds, type ClientSession } from "node-opcua-client";
import { discoverVariables, enumLabels, resolveBrowsePath } from "./browse.js";
import type { NodeTarget } from "./decode.js";
import { resolveNodeIdText } from "./node-id.js";
import type { NodeOptions, OpcuaOptions } from "./options.js";

export interface PlannedNode extends NodeTarget {
  /** As configured: the node_id, browse path, or browse root + path. Used in messages. */
  label: string;
  /** The NodeId on this server, ns=<index>;… */
  nodeId: string;
  deadband?: NodeOptions["deadband"];
  samplingInterval?: number;
}

export interface Refusal {
  label: string;
  status: string;
}

export interface NodePlan {
  nodes: PlannedNode[];
  refused: Refusal[];
}

const READ_CHUNK = 1000;

export async function planNodes(session: ClientSession, namespaces: string[], options: OpcuaOptions): Promise<NodePlan> {
  const candidates: PlannedNode[] = [];
  const refused: Refusal[] = [];
  for (const node of options.nodes) {
    const label = node.node_id ?? node.browse_path!;
    try {
      const nodeId = node.node_id ? resolveNodeIdText(node.node_id, namespaces) : await resolveBrowsePath(session, node.browse_path!);
      const tags = node.unit ? { ...node.tags, unit: node.unit } : node.tags;
      candidates.push({ label, nodeId, name: node.name, tags, deadband: node.deadband, samplingInterval: node.sampling_interval });
    } catch (error) {
      refused.push({ label, status: statusOf(error) });
    }
  }
  const names = new Set(candidates.map((c) => c.name));
  for (const root of options.browse) {
    try {
      for (const found of await discoverVariables(session, root, namespaces)) {
        const name = root.prefix ? `${root.prefix}.${found.path}` : found.path;
        if (names.has(name)) continue;
        names.add(name);
        candidates.push({ label: `${root.root} ${found.path}`, nodeId: found.nodeId, name });
      }
    } catch (error) {
      refused.push({ label: `browse ${root.root}`, status: statusOf(error) });
    }
  }
  // One Read of the DataType attribute says which nodes exist as Variables, and which are enums.
  const dataTypes = new Map<PlannedNode, string>();
  const nodes: PlannedNode[] = [];
  for (let i = 0; i < candidates.length; i += READ_CHUNK) {
    const chunk = candidates.slice(i, i + READ_CHUNK);
    const results = await session.read(chunk.map((c) => ({ nodeId: c.nodeId, attributeId: AttributeIds.DataType })));
    chunk.forEach((candidate, j) => {
      const result = results[j];
      if (result.statusCode.isNotGood()) {
        refused.push({ label: candidate.label, status: result.statusCode.name });
        return;
      }
      nodes.push(candidate);
      const dataType = result.value.value?.toString();
      if (dataType && !isBuiltIn(dataType)) dataTypes.set(candidate, dataType);
    });
  }
  const labels = await enumLabels(session, [...new Set(dataTypes.values())]);
  for (const node of nodes) {
    const dataType = dataTypes.get(node);
    const map = dataType ? labels.get(dataType) : undefined;
    if (map) node.enumLabels = map;
  }
  return { nodes, refused };
}

/** ns=0 ids up to 30 are the built-in types and their abstract parents: never enumerations. */
function isBuiltIn(dataType: string): boolean {
  const match = /^i=(\d+)$/.exec(dataType);
  return match !== null && Number(match[1]) <= 30;
}

export function statusOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === "UnknownNamespaceError") return `BadNodeIdUnknown (${message})`;
  return /\bBad[A-Za-z]+\b/.test(message) ? message : `BadNodeIdInvalid (${message})`;
}
