/**
 * A real OPC-UA server (node-opcua) for the adapter's tests, run as a child process so that a test
 * can kill and restart it (see served.ts). It loads the standard nodeset plus the open62541 test
 * nodeset, and adds, in namespace urn:plexus:test, a variable of every built-in type, an enum, an
 * array, a structure, values with Bad and Uncertain status, changing values and a small tree to
 * browse. Security: None, Sign and SignAndEncrypt with Basic256Sha256; anonymous and
 * username "bridge" / password "s3cret".
 *
 * Arguments: --port N --pki DIR [--renumber] [--items N]. Prints `READY <json>` when listening;
 * reads commands on stdin (stall-publishing, raise-event).
 * --renumber registers a spacer namespace first, so urn:plexus:test gets another index (a server
 * upgraded between two runs). --items N adds N changing Double variables Bench.0…Bench.N-1.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { Namespace, UAObject, UAVariable } from "node-opcua-address-space";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import {
  coerceLocalizedText,
  coerceNodeId,
  coerceQualifiedName,
  DataType,
  MessageSecurityMode,
  SecurityPolicy,
  StatusCodes,
  Variant,
  VariantArrayType,
} from "node-opcua-client";
import { nodesets } from "node-opcua-nodesets";
import { OPCUAServer } from "node-opcua-server";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    pki: { type: "string" },
    renumber: { type: "boolean", default: false },
    items: { type: "string", default: "0" },
  },
});

const TEST_NAMESPACE = "urn:plexus:test";
const USER = { username: "bridge", password: "s3cret" };

const certificateManager = new OPCUACertificateManager({
  rootFolder: `${args.pki}/server`,
  automaticallyAcceptUnknownCertificate: true,
  disableFileWatchers: true,
});
await certificateManager.initialize();
// Its own folder for user certificates too: the default is under the home folder.
const userCertificateManager = new OPCUACertificateManager({
  rootFolder: `${args.pki}/users`,
  automaticallyAcceptUnknownCertificate: true,
  disableFileWatchers: true,
});
await userCertificateManager.initialize();

const server = new OPCUAServer({
  port: Number(args.port),
  hostname: "127.0.0.1",
  nodeset_filename: [nodesets.standard, `${import.meta.dirname}/../../fixtures/opcua/testnodeset.xml`],
  serverCertificateManager: certificateManager,
  userCertificateManager,
  securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
  securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
  allowAnonymous: true,
  userManager: { isValidUser: (username: string, password: string) => username === USER.username && password === USER.password },
  serverCapabilities: { maxSessions: 20 },
  buildInfo: { productName: "plexus-bridge test server" },
});
await server.initialize();

const addressSpace = server.engine.addressSpace!;
if (args.renumber) addressSpace.registerNamespace("urn:plexus:spacer");
const ns = addressSpace.registerNamespace(TEST_NAMESPACE);
const objects = addressSpace.rootFolder.objects;
const plant = ns.addObject({ browseName: "Plant", nodeId: "s=Plant", organizedBy: objects });

function variable(parent: UAObject, name: string, dataType: DataType | string, value: unknown, arrayType?: VariantArrayType): UAVariable {
  return ns.addVariable({
    componentOf: parent,
    browseName: name,
    nodeId: `s=${name}`,
    dataType: typeof dataType === "string" ? dataType : DataType[dataType],
    valueRank: arrayType === VariantArrayType.Array ? 1 : -1,
    minimumSamplingInterval: 50,
    value: new Variant({
      dataType: typeof dataType === "string" ? DataType.ExtensionObject : dataType,
      value,
      arrayType: arrayType ?? VariantArrayType.Scalar,
    }),
  });
}

// One variable per built-in type (the decode rules are tested on these, through the wire).
variable(plant, "Boolean", DataType.Boolean, true);
variable(plant, "SByte", DataType.SByte, -5);
variable(plant, "Byte", DataType.Byte, 200);
variable(plant, "Int16", DataType.Int16, -300);
variable(plant, "UInt16", DataType.UInt16, 60000);
variable(plant, "Int32", DataType.Int32, -70000);
variable(plant, "UInt32", DataType.UInt32, 4_000_000_000);
variable(plant, "Int64", DataType.Int64, [0xffffffff, 0xfffffffe]); // -2
variable(plant, "UInt64", DataType.UInt64, [1, 2]); // 2^32 + 2
variable(plant, "Float", DataType.Float, 1.5);
variable(plant, "Double", DataType.Double, 3.25);
variable(plant, "String", DataType.String, "hello");
variable(plant, "DateTime", DataType.DateTime, new Date("2024-01-02T03:04:05.678Z"));
variable(plant, "Guid", DataType.Guid, "72962B91-FA75-4AE6-8D28-B404DC7DAF63");
variable(plant, "ByteString", DataType.ByteString, Buffer.from([1, 2, 3]));
variable(plant, "XmlElement", DataType.XmlElement, "<a>1</a>");
variable(plant, "NodeId", DataType.NodeId, coerceNodeId("ns=1;i=42"));
variable(plant, "StatusCode", DataType.StatusCode, StatusCodes.BadTimeout);
variable(plant, "QualifiedName", DataType.QualifiedName, coerceQualifiedName("1:Q"));
variable(plant, "LocalizedText", DataType.LocalizedText, coerceLocalizedText({ locale: "en", text: "Running" }));
variable(plant, "DoubleArray", DataType.Double, new Float64Array([1.5, 2.5, 3.5]), VariantArrayType.Array);
variable(
  plant,
  "BigArray",
  DataType.Int32,
  Int32Array.from({ length: 40 }, (_, i) => i),
  VariantArrayType.Array,
);

// An enumeration with EnumStrings, the way PLC vendors model a machine state.
const pumpState = ns.addEnumerationType({ browseName: "PumpStateEnum", enumeration: ["Off", "On", "Fault"] });
ns.addVariable({
  componentOf: plant,
  browseName: "PumpState",
  nodeId: "s=PumpState",
  dataType: pumpState,
  value: new Variant({ dataType: DataType.Int32, value: 1 }),
});

// A standard structure (BuildInfo) and the open62541 nodeset's custom Point (dictionary-decoded).
const buildInfo = addressSpace.constructExtensionObject(addressSpace.findDataType("BuildInfo")!, {
  productName: "press",
  softwareVersion: "1.2.3",
  buildNumber: "7",
});
variable(plant, "BuildInfo", "BuildInfo", buildInfo);

// The nodeset's Point_scalar_init: node-opcua's loader skips its XML-encoded initial value
// (warning W36), so the same value ({x: 1, y: 2}) is set here, through the nodeset's own type.
const nodesetNs = addressSpace.getNamespaceIndex("http://yourorganisation.org/test/");
const pointType = addressSpace.findDataType("Point", nodesetNs)!;
const pointVariable = addressSpace.findNode(`ns=${nodesetNs};i=10002`) as UAVariable;
pointVariable.setValueFromSource({
  dataType: DataType.ExtensionObject,
  value: addressSpace.constructExtensionObject(pointType, { x: 1, y: 2 }),
});

// Status codes: a sensor that failed, and a value the server is unsure of.
statusVariable("Broken", StatusCodes.BadSensorFailure, 1);
statusVariable("Unsure", StatusCodes.UncertainLastUsableValue, 7.5);

// Changing values: a counter and a ramp (the deadband test's input: +0.25 per tick).
let ticks = 0;
const counter = variable(plant, "Counter", DataType.Int32, 0);
const ramp = variable(plant, "Ramp", DataType.Double, 0);
// An AnalogItem (EURange 0–200) with the same ramp: percent deadbands need the range.
const level = ns.addAnalogDataItem({
  componentOf: plant,
  browseName: "Level",
  nodeId: "s=Level",
  dataType: "Double",
  engineeringUnitsRange: { low: 0, high: 200 },
  value: new Variant({ dataType: DataType.Double, value: 0 }),
});
setInterval(() => {
  ticks++;
  counter.setValueFromSource({ dataType: DataType.Int32, value: ticks });
  ramp.setValueFromSource({ dataType: DataType.Double, value: ticks * 0.25 });
  level.setValueFromSource({ dataType: DataType.Double, value: (ticks * 0.25) % 200 });
}, 100);

// A writable setpoint, a tree to browse, and a variable nobody may read.
ns.addVariable({
  componentOf: plant,
  browseName: "Setpoint",
  nodeId: "s=Setpoint",
  dataType: "Double",
  accessLevel: "CurrentRead | CurrentWrite",
  userAccessLevel: "CurrentRead | CurrentWrite",
  value: new Variant({ dataType: DataType.Double, value: 10 }),
});
ns.addVariable({
  componentOf: plant,
  browseName: "Secret",
  nodeId: "s=Secret",
  dataType: "Double",
  accessLevel: "CurrentWrite",
  userAccessLevel: "CurrentWrite",
  value: new Variant({ dataType: DataType.Double, value: 1 }),
});
buildTree(ns);
addBenchItems(Number(args.items));

await server.start();
const namespaces = addressSpace.getNamespaceArray().map((n) => n.namespaceUri);
process.stdout.write(`READY ${JSON.stringify({ port: server.endpoints[0].port, namespaces })}\n`);

// "stall-publishing" on stdin: the publish engines of the current sessions swallow every Publish
// request from now on (no data, no keep-alive, no error) while the sessions still answer Reads:
// a subscription that silently stopped, the failure node-opcua #674 describes.
// "raise-event <severity> <message>": a SystemEventType event on the Server object (i=2253).
createInterface({ input: process.stdin }).on("line", (line) => {
  const raise = /^raise-event (\d+) (.*)$/.exec(line.trim());
  if (raise) {
    addressSpace.rootFolder.objects.server.raiseEvent("SystemEventType", {
      message: new Variant({ dataType: DataType.LocalizedText, value: coerceLocalizedText(raise[2]) }),
      severity: { dataType: DataType.UInt16, value: Number(raise[1]) },
      sourceName: { dataType: DataType.String, value: "Press1" },
    });
    return;
  }
  if (line.trim() !== "stall-publishing") return;
  for (const session of server.engine.getSessions()) {
    const engine = session.publishEngine as unknown as { _on_PublishRequest: () => void };
    engine._on_PublishRequest = () => undefined;
  }
  process.stdout.write("STALLED\n");
});

process.on("SIGTERM", () => {
  void server.shutdown(0).then(() => process.exit(0));
});

function statusVariable(name: string, statusCode: typeof StatusCodes.Good, value: number): void {
  const node = variable(plant, name, DataType.Double, value);
  node.setValueFromSource({ dataType: DataType.Double, value }, statusCode);
}

function buildTree(namespace: Namespace): void {
  const line1 = namespace.addObject({ browseName: "Line1", nodeId: "s=Line1", organizedBy: objects });
  const motor = namespace.addObject({ browseName: "Motor", nodeId: "s=Line1.Motor", componentOf: line1 });
  const diagnostics = namespace.addObject({ browseName: "Diagnostics", nodeId: "s=Line1.Motor.Diagnostics", componentOf: motor });
  const leaf = (parent: UAObject, name: string, value: number) =>
    namespace.addVariable({
      componentOf: parent,
      browseName: name,
      nodeId: `s=${parent.nodeId.value}.${name}`,
      dataType: "Double",
      value: new Variant({ dataType: DataType.Double, value }),
    });
  leaf(motor, "Current", 12.5);
  leaf(motor, "Speed", 1450);
  leaf(diagnostics, "ErrorCount", 3);
  leaf(line1, "Temperature", 21.5);
}

function addBenchItems(count: number): void {
  if (count <= 0) return;
  const bench = ns.addObject({ browseName: "Bench", nodeId: "s=Bench", organizedBy: objects });
  const items: UAVariable[] = [];
  for (let i = 0; i < count; i++) items.push(variable(bench, `Bench.${i}`, DataType.Double, 0));
  let n = 0;
  setInterval(() => {
    n++;
    for (const item of items) item.setValueFromSource({ dataType: DataType.Double, value: n });
  }, 100);
}
