/**
 * The messages of sparkplug_b.proto (org.eclipse.tahu.protobuf, next to this file) as a schema table:
 * field numbers, types and oneofs copied from it, names in camelCase as protobufjs spells them.
 * test/adapters/mqtt/sparkplug-codec.test.ts checks this table against the .proto.
 */
import { defineSchema, type FieldSpec } from "./protobuf-message.js";

/** The `value` oneof members every value-carrying message shares (numbers differ per message). */
function values(first: number, members: [string, FieldSpec["kind"], string?][]): FieldSpec[] {
  return members.map(([name, kind, type], i) => ({ number: first + i, name, kind, type, oneof: "value" }));
}

const SCALAR_VALUES: [string, FieldSpec["kind"]][] = [
  ["intValue", "uint32"],
  ["longValue", "uint64"],
  ["floatValue", "float"],
  ["doubleValue", "double"],
  ["booleanValue", "bool"],
  ["stringValue", "string"],
];

export const sparkplugTypes = defineSchema({
  Payload: [
    { number: 1, name: "timestamp", kind: "uint64" },
    { number: 2, name: "metrics", kind: "message", type: "Metric", repeated: true },
    { number: 3, name: "seq", kind: "uint64" },
    { number: 4, name: "uuid", kind: "string" },
    { number: 5, name: "body", kind: "bytes" },
  ],
  Metric: [
    { number: 1, name: "name", kind: "string" },
    { number: 2, name: "alias", kind: "uint64" },
    { number: 3, name: "timestamp", kind: "uint64" },
    { number: 4, name: "datatype", kind: "uint32" },
    { number: 5, name: "isHistorical", kind: "bool" },
    { number: 6, name: "isTransient", kind: "bool" },
    { number: 7, name: "isNull", kind: "bool" },
    { number: 8, name: "metadata", kind: "message", type: "MetaData" },
    { number: 9, name: "properties", kind: "message", type: "PropertySet" },
    ...values(10, [
      ...SCALAR_VALUES,
      ["bytesValue", "bytes"],
      ["datasetValue", "message", "DataSet"],
      ["templateValue", "message", "Template"],
      ["extensionValue", "message", "Extension"],
    ]),
  ],
  MetaData: [
    { number: 1, name: "isMultiPart", kind: "bool" },
    { number: 2, name: "contentType", kind: "string" },
    { number: 3, name: "size", kind: "uint64" },
    { number: 4, name: "seq", kind: "uint64" },
    { number: 5, name: "fileName", kind: "string" },
    { number: 6, name: "fileType", kind: "string" },
    { number: 7, name: "md5", kind: "string" },
    { number: 8, name: "description", kind: "string" },
  ],
  PropertySet: [
    { number: 1, name: "keys", kind: "string", repeated: true },
    { number: 2, name: "values", kind: "message", type: "PropertyValue", repeated: true },
  ],
  PropertySetList: [{ number: 1, name: "propertyset", kind: "message", type: "PropertySet", repeated: true }],
  PropertyValue: [
    { number: 1, name: "type", kind: "uint32" },
    { number: 2, name: "isNull", kind: "bool" },
    ...values(3, [
      ...SCALAR_VALUES,
      ["propertysetValue", "message", "PropertySet"],
      ["propertysetsValue", "message", "PropertySetList"],
      ["extensionValue", "message", "Extension"],
    ]),
  ],
  DataSet: [
    { number: 1, name: "numOfColumns", kind: "uint64" },
    { number: 2, name: "columns", kind: "string", repeated: true },
    { number: 3, name: "types", kind: "uint32", repeated: true },
    { number: 4, name: "rows", kind: "message", type: "Row", repeated: true },
  ],
  Row: [{ number: 1, name: "elements", kind: "message", type: "DataSetValue", repeated: true }],
  DataSetValue: values(1, [...SCALAR_VALUES, ["extensionValue", "message", "Extension"]]),
  Template: [
    { number: 1, name: "version", kind: "string" },
    { number: 2, name: "metrics", kind: "message", type: "Metric", repeated: true },
    { number: 3, name: "parameters", kind: "message", type: "Parameter", repeated: true },
    { number: 4, name: "templateRef", kind: "string" },
    { number: 5, name: "isDefinition", kind: "bool" },
  ],
  Parameter: [
    { number: 1, name: "name", kind: "string" },
    { number: 2, name: "type", kind: "uint32" },
    ...values(3, [...SCALAR_VALUES, ["extensionValue", "message", "Extension"]]),
  ],
  /** The *ValueExtension messages: extension ranges only, so every field in them is unknown. */
  Extension: [],
});
