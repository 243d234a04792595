/**
 * NodeIds as written in the config. `nsu=<URI>;…` names the namespace by URI: the index behind
 * it is looked up in the server's NamespaceArray at every (re)connect, because a server may
 * renumber its namespaces after a restart or an upgrade. `ns=<index>;…` is taken as written.
 * Pure: no node-opcua here (the config schema loads this file).
 */
export interface NodeIdText {
  /** The namespace URI of an `nsu=` id. */
  namespaceUri?: string;
  /** The index of an `ns=` id (0 when neither is given). */
  namespaceIndex: number;
  /** The identifier part as written: `s=Line1.Speed`, `i=42`, `g=…`, `b=…`. */
  identifier: string;
}

const IDENTIFIER = /^(i=\d+|s=.+|g=[0-9A-Fa-f-]{36}|b=[A-Za-z0-9+/=]+)$/s;

export function parseNodeIdText(text: string): NodeIdText {
  let rest = text.trim();
  let namespaceUri: string | undefined;
  let namespaceIndex = 0;
  const nsu = /^nsu=([^;]+);(.*)$/s.exec(rest);
  const ns = /^ns=(\d+);(.*)$/s.exec(rest);
  if (nsu) {
    namespaceUri = nsu[1];
    rest = nsu[2];
  } else if (ns) {
    namespaceIndex = Number(ns[1]);
    rest = ns[2];
  }
  if (!IDENTIFIER.test(rest))
    throw new Error(`"${text}" is not a NodeId (expected nsu=<uri>;s=<name>, ns=<index>;i=<number>, i=<number>, g=<guid> or b=<base64>)`);
  return { namespaceUri, namespaceIndex, identifier: rest };
}

export class UnknownNamespaceError extends Error {
  override name = "UnknownNamespaceError";
}

/** The `ns=<index>;…` form for this server's NamespaceArray; throws when the URI is not there. */
export function resolveNodeIdText(text: string, namespaces: readonly string[]): string {
  const id = parseNodeIdText(text);
  let index = id.namespaceIndex;
  if (id.namespaceUri !== undefined) {
    index = namespaces.indexOf(id.namespaceUri);
    if (index < 0) throw new UnknownNamespaceError(`namespace ${id.namespaceUri} is not on this server`);
  }
  return index === 0 ? id.identifier : `ns=${index};${id.identifier}`;
}

/** A glob (`*` anything, `?` one character) as a whole-string matcher. */
export function globMatcher(glob: string): (text: string) => boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const regex = new RegExp(`^${pattern}$`, "s");
  return (text) => regex.test(text);
}
