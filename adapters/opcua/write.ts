/**
 * opcua_write: one value written to one node, with the node's current built-in type (read first),
 * so that a dashboard's number lands as the Int16 or Float the PLC expects.
 */
import { AttributeIds, DataType, Variant } from "node-opcua-client";
import { resolveNodeIdText } from "./node-id.js";
import { type Connection, withTimeout } from "./transport.js";

const NUMERIC = new Set([
  DataType.SByte,
  DataType.Byte,
  DataType.Int16,
  DataType.UInt16,
  DataType.Int32,
  DataType.UInt32,
  DataType.Float,
  DataType.Double,
]);

/** Writes `value`; resolves with the server's status code name ("Good" or why not). */
export async function writeValue(connection: Connection, nodeText: string, value: unknown, timeoutMs: number): Promise<string> {
  const nodeId = resolveNodeIdText(nodeText, connection.namespaces);
  const current = await withTimeout(connection.session.read({ nodeId, attributeId: AttributeIds.Value }), timeoutMs, "Read timed out");
  if (current.statusCode.isNotGood() && !current.value?.dataType) throw new Error(`cannot read ${nodeText}: ${current.statusCode.name}`);
  const dataType = current.value.dataType;
  const status = await withTimeout(
    connection.session.write({
      nodeId,
      attributeId: AttributeIds.Value,
      value: { value: new Variant({ dataType, value: coerce(dataType, value) }) },
    }),
    timeoutMs,
    "Write timed out",
  );
  return status.name;
}

function coerce(dataType: DataType, value: unknown): unknown {
  if (dataType === DataType.Boolean) return value === true || value === 1 || value === "true" || value === "1";
  if (NUMERIC.has(dataType)) {
    const number = Number(value);
    if (!Number.isFinite(number)) throw new Error(`${JSON.stringify(value)} is not a number (the node is ${DataType[dataType]})`);
    return number;
  }
  if (dataType === DataType.String) return String(value);
  throw new Error(`writing ${DataType[dataType]} values is not supported (numbers, booleans and strings are)`);
}
