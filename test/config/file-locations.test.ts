/**
 * `check` points at the config line that names a file it cannot read (DBC, register map, tlog),
 * reports a broken file at its own line with the config key that names it, and refuses a
 * 40001-style Modbus address given without address_base, saying which base to write.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigFolder, expectProblems, yaml } from "./config-fixture.js";

const folder = new ConfigFolder();
afterAll(() => folder.remove());
const head = "plexus:\n  source_id: demo\n  api_key: plx_x\nadapters:\n";

describe("files the config names", () => {
  it("a missing DBC, register map or tlog: at the line of the key that names it", async () => {
    writeFileSync(path.join(folder.dir, "replay.log"), "(0.0) can0 064#1027\n");
    const lines = await folder.problems(
      head +
        yaml`
          car:
            type: can
            interface: candump
            file: replay.log
            dbc: [missing.dbc]
          plc:
            type: modbus
            url: tcp://127.0.0.1:502
            devices:
              - unit_id: 1
                map: maps/nope.yaml
          sub:
            type: mavlink
            connection: tlog://flights/none.tlog
        `.replace(/^/gm, "  "),
      { checkFiles: true },
    );
    expectProblems(lines, [
      ["config.yaml:9:11 adapters.car.dbc[0]", "cannot read DBC missing.dbc: the file does not exist"],
      ["config.yaml:15:14 adapters.plc.devices[0].map", "cannot read register map maps/nope.yaml: the file does not exist"],
      ["config.yaml:18:17 adapters.sub.connection", "cannot read tlog replay file flights/none.tlog: the file does not exist"],
    ]);
  });

  it("a broken register map: at its own line, with the config key that names it", async () => {
    writeFileSync(path.join(folder.dir, "broken.yaml"), "points:\n  - { name: a, address: 0, type: float99 }\n");
    const lines = await folder.problems(
      `${head}  plc:\n    type: modbus\n    url: tcp://127.0.0.1:502\n    devices:\n      - unit_id: 1\n        map: broken.yaml\n`,
      { checkFiles: true },
    );
    expectProblems(lines, [["broken.yaml:2:34 adapters.plc.devices[0].map", "points.0.type"]]);
  });
});

describe("Modbus addresses written as a manual prints them", () => {
  it("40001 or 30001 with table input, without address_base: a problem saying which base to write", async () => {
    const lines = await folder.problems(
      `${head}  plc:\n    type: modbus\n    url: tcp://127.0.0.1:502\n    devices:\n      - unit_id: 1\n        points:\n` +
        "          - { name: setpoint, address: 40001 }\n" +
        "          - { name: temp, table: input, address: 30002 }\n" +
        "          - { name: plain, address: 1200 }\n",
    );
    expectProblems(lines, [
      [
        "config.yaml:11:13 adapters.plc.devices[0].points[0]",
        "setpoint: address 40001 looks like a Modicon number (holding register 1); write address_base: modicon, or address_base: 0 if 40001 is the protocol address",
      ],
      ["config.yaml:12:13 adapters.plc.devices[0].points[1]", "temp: address 30002 looks like a Modicon number (input register 2)"],
    ]);
  });

  it("an explicit address_base: 0 keeps 40001 as the protocol address; modicon reads it as holding 1", async () => {
    const config = (base: string) =>
      `${head}  plc:\n    type: modbus\n    url: tcp://127.0.0.1:502\n    devices:\n      - unit_id: 1\n        address_base: ${base}\n        points:\n          - { name: setpoint, address: 40001 }\n`;
    expect(await folder.problems(config("0"))).toEqual([]);
    const { config: loaded } = await folder.load(config("modicon"));
    expect(loaded?.adapters[0].options.devices).toHaveLength(1);
  });
});
