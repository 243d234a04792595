/**
 * Regenerates adapters/mqtt/sparkplug/descriptor.ts from the official sparkplug_b.proto next to it:
 * `npx tsx adapters/mqtt/tools/generate-descriptor.ts && npx biome format --write adapters/mqtt/sparkplug`.
 * The adapter loads the descriptor with protobufjs' Root.fromJSON, so a gateway never parses .proto text
 * at run time. test/adapters/mqtt/sparkplug-decode.test.ts checks that it matches the .proto.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";

const folder = join(import.meta.dirname, "..", "sparkplug");

function descriptorSource(): string {
  const root = protobuf.loadSync(join(folder, "sparkplug_b.proto"));
  return (
    "/**\n" +
    " * Generated from sparkplug_b.proto (Eclipse Tahu, EPL-2.0, header kept in that file) by\n" +
    " * `npx tsx adapters/mqtt/tools/generate-descriptor.ts`: the protobufjs reflection descriptor, loaded\n" +
    " * with Root.fromJSON so that no .proto parsing happens on the gateway. Do not edit.\n" +
    " */\n" +
    `export const sparkplugDescriptor = ${JSON.stringify(root.toJSON(), null, 2)};\n`
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) writeFileSync(join(folder, "descriptor.ts"), descriptorSource());
