/**
 * `plexus-bridge install-service [--instance NAME] [--root DIR] [--dry-run]`: installs the bridge
 * as a systemd service from wherever it is installed (npm -g under any prefix, nvm, a checkout).
 *
 *   1. writes /etc/systemd/system/plexus-bridge.service (or plexus-bridge@.service) with the
 *      absolute paths of this node binary and this CLI;
 *   2. creates /etc/plexus-bridge with config.yaml (NAME.yaml) from the shipped example, never
 *      overwriting one, and the JSON Schema beside it (the config's relative `$schema` comment);
 *   3. copies the environment file example to /etc/default/plexus-bridge if there is none;
 *   4. says how to write the API key, then runs `check` on the config.
 * It does not start anything: it prints the systemctl commands. `--root` puts every path under
 * a folder (tests, image builds); `--dry-run` prints the plan and writes nothing.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { EXIT_CONFIG, jsonSchemaText, runCheckCommand } from "../config/index.js";
import { packageRoot } from "../package-root.js";
import { parseSystemdVersion, renderUnit } from "../systemd/unit-file.js";
import { EXIT_USAGE } from "./shared.js";

const USAGE = `usage: plexus-bridge install-service [--instance NAME] [--root DIR] [--dry-run]
  --instance NAME   the template unit plexus-bridge@.service, config /etc/plexus-bridge/NAME.yaml
  --root DIR        write every file under DIR instead of / (image builds, tests)
  --dry-run         print what would be written; write nothing, run nothing
`;

const INSTANCE_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

interface Plan {
  unitPath: string;
  unitText: string;
  configDir: string;
  configPath: string;
  schemaPath: string;
  envPath: string;
  keyPath: string;
  serviceName: string;
}

function systemdVersion(): number | undefined {
  const run = spawnSync("systemctl", ["--version"], { encoding: "utf8" });
  return run.status === 0 ? parseSystemdVersion(run.stdout) : undefined;
}

function makePlan(root: string, instance: string | undefined): Plan {
  const pkg = packageRoot();
  const unitName = instance === undefined ? "plexus-bridge.service" : "plexus-bridge@.service";
  const shipped = readFileSync(path.join(pkg, "systemd", unitName), "utf8");
  const unitText = renderUnit(shipped, {
    node: realpathSync(process.execPath),
    cli: realpathSync(path.join(pkg, "bin", "plexus-bridge.js")),
    systemdVersion: systemdVersion(),
  });
  const under = (p: string) => path.join(root, p);
  const configDir = under("/etc/plexus-bridge");
  return {
    unitPath: under(`/etc/systemd/system/${unitName}`),
    unitText,
    configDir,
    configPath: path.join(configDir, `${instance ?? "config"}.yaml`),
    schemaPath: path.join(configDir, "plexus-bridge.schema.json"),
    envPath: under("/etc/default/plexus-bridge"),
    keyPath: path.join(configDir, "api_key"),
    serviceName: instance === undefined ? "plexus-bridge" : `plexus-bridge@${instance}`,
  };
}

export async function runInstallServiceCommand(argv: readonly string[]): Promise<number> {
  let values: { instance?: string; root?: string; "dry-run"?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        instance: { type: "string" },
        root: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.instance !== undefined && !INSTANCE_PATTERN.test(values.instance)) {
    process.stderr.write(`--instance takes lower-case letters, digits, '-' and '_', not ${JSON.stringify(values.instance)}\n`);
    return EXIT_USAGE;
  }
  const root = path.resolve(values.root ?? "/");
  const plan = makePlan(root, values.instance);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const dry = values["dry-run"] === true;
  const act = (what: string, doIt: () => void) => {
    say(`${dry ? "would " : ""}${what}`);
    if (!dry) doIt();
  };

  act(`write ${plan.unitPath}`, () => {
    mkdirSync(path.dirname(plan.unitPath), { recursive: true });
    writeFileSync(plan.unitPath, plan.unitText, { mode: 0o644 });
  });
  if (dry) process.stdout.write(`---- ${path.basename(plan.unitPath)}\n${plan.unitText}----\n`);
  act(`create ${plan.configDir}`, () => mkdirSync(plan.configDir, { recursive: true, mode: 0o755 }));
  if (existsSync(plan.configPath)) say(`keep ${plan.configPath} (exists; never overwritten)`);
  else
    act(`write ${plan.configPath} from the example (edit it)`, () =>
      copyFileSync(path.join(packageRoot(), "config", "example.yaml"), plan.configPath),
    );
  // The schema of this very version, beside the config: its `$schema=./…` comment finds it.
  const schema = await jsonSchemaText();
  act(`write ${plan.schemaPath}`, () => writeFileSync(plan.schemaPath, schema, { mode: 0o644 }));
  if (existsSync(plan.envPath)) say(`keep ${plan.envPath} (exists)`);
  else
    act(`write ${plan.envPath} (every line commented)`, () => {
      mkdirSync(path.dirname(plan.envPath), { recursive: true });
      copyFileSync(path.join(packageRoot(), "systemd", "plexus-bridge.env.example"), plan.envPath);
    });

  const keyMissing = !existsSync(plan.keyPath);
  if (keyMissing) {
    say(`\nThe API key is missing. The unit hands ${plan.keyPath} to the bridge (LoadCredential=); write it with:`);
    say(`  sudo install -m 600 /dev/null ${plan.keyPath} && echo 'plx_…' | sudo tee ${plan.keyPath} >/dev/null`);
  }
  let code = 0;
  if (dry) say(`would run: plexus-bridge check -c ${plan.configPath}`);
  else {
    say(`\nplexus-bridge check -c ${plan.configPath}`);
    code = await runCheckCommand(["-c", plan.configPath]);
  }
  say(
    `\n${code === 0 ? "Then" : "Fix the config (plexus-bridge check -c FILE says what), then"}:\n  sudo systemctl daemon-reload && sudo systemctl enable --now ${plan.serviceName}\n  journalctl -u ${plan.serviceName} -f`,
  );
  return code === 0 ? 0 : EXIT_CONFIG;
}
