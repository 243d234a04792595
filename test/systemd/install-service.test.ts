/**
 * `plexus-bridge install-service --root DIR` run for real into a temp dir, and the units it
 * writes checked by systemd's own tools (systemd-analyze verify and security, offline: they need
 * no running systemd). CI installs systemd-analyze (.ci/run); elsewhere its absence skips those.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemaText, runSchemaCommand } from "../../src/config/index.js";
import { parseSystemdVersion, quoteForExec, renderUnit } from "../../src/systemd/unit-file.js";
import { repoRoot } from "../helpers/child.js";
import { offeredNodeOptions, unitNodeOptions } from "../helpers/shipped-node-options.js";
import { tempDir } from "../pipeline/queue-helpers.js";

const hasAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
if (!hasAnalyze && process.env.CI === "true") throw new Error("systemd-analyze is required in CI (apt-get install -y systemd)");

const shipped = readFileSync(join(repoRoot, "systemd/plexus-bridge.service"), "utf8");
const template = readFileSync(join(repoRoot, "systemd/plexus-bridge@.service"), "utf8");

function installService(...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, "bin/plexus-bridge.js"), "install-service", ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { PATH: process.env.PATH },
  });
}

/** The [Service] settings after the "---- sandbox ----" marker. */
const sandboxOf = (unit: string) => unit.slice(unit.indexOf("# ---- sandbox ----"));

describe("the unit install-service renders", () => {
  const paths = { node: "/usr/bin/node", cli: "/usr/lib/node_modules/plexus-bridge/bin/plexus-bridge.js" };

  it("runs this node and this CLI by absolute path in every Exec line", () => {
    const unit = renderUnit(shipped, { ...paths, systemdVersion: 252 });
    const exec = unit.split("\n").filter((l) => /^Exec(Start|StartPre|Reload)=/.test(l));
    expect(exec).toEqual([
      `ExecStartPre=${paths.node} ${paths.cli} check -c /etc/plexus-bridge/config.yaml`,
      `ExecStart=${paths.node} ${paths.cli} run -c /etc/plexus-bridge/config.yaml`,
      `ExecReload=${paths.node} ${paths.cli} check -c /etc/plexus-bridge/config.yaml`,
      "ExecReload=/bin/kill -HUP $MAINPID",
    ]);
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ProtectHome=yes$/m);
  });

  it("uses Type=notify-reload on systemd >= 253 (systemd sends SIGHUP and waits for READY=1)", () => {
    const unit = renderUnit(shipped, { ...paths, systemdVersion: 257 });
    expect(unit).toMatch(/^Type=notify-reload$/m);
    expect(unit).not.toMatch(/^ExecReload=/m);
    expect(parseSystemdVersion("systemd 252 (252.39-1~deb12u2)\n+PAM +AUDIT")).toBe(252);
  });

  it("nvm or a checkout under /home: quoted paths, and ProtectHome=read-only so systemd can reach them", () => {
    const unit = renderUnit(shipped, {
      node: "/home/ann/.nvm/versions/node/v20.20.2/bin/node",
      cli: "/home/ann/my bridge/bin/plexus-bridge.js",
    });
    expect(unit).toContain('ExecStart=/home/ann/.nvm/versions/node/v20.20.2/bin/node "/home/ann/my bridge/bin/plexus-bridge.js" run');
    expect(unit).toMatch(/^ProtectHome=read-only$/m);
    expect(quoteForExec('a"b$c')).toBe('"a\\"b$$c"');
  });

  it("the template unit has the same sandbox as the single unit", () => {
    expect(sandboxOf(template)).toBe(sandboxOf(shipped));
    expect(template).toContain("ExecStart=/usr/local/bin/plexus-bridge run -c /etc/plexus-bridge/%i.yaml");
    expect(template).toMatch(/^StateDirectory=plexus-bridge\/%i$/m);
  });
});

describe("the service's NODE_OPTIONS (memory settings)", () => {
  /** The young generation's capacity after a burst of short-lived objects, under these NODE_OPTIONS. */
  function newSpaceMiB(nodeOptions: string) {
    const run = spawnSync(
      process.execPath,
      [
        "-e",
        'for (let i = 0; i < 3e6; i++) globalThis.x = { i, s: "p" + i }; const s = require("v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space"); console.log(s.space_size / 1048576)',
      ],
      { encoding: "utf8", env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions } },
    );
    // A flag node refuses in NODE_OPTIONS stops the service before it starts: exit 9 and a message.
    expect(run.stderr.replace(/^Warning: disabling flag --expose_wasm.*\n/m, "")).toBe("");
    expect(run.status).toBe(0);
    return Number(run.stdout);
  }

  it("both units set the same NODE_OPTIONS before the environment files that may replace it", () => {
    for (const unit of [shipped, template]) {
      expect(unitNodeOptions(unit)).toBe("--max-semi-space-size=1");
      expect(unit.indexOf("Environment=NODE_OPTIONS=")).toBeLessThan(unit.indexOf("EnvironmentFile="));
    }
    const rendered = renderUnit(shipped, { node: "/usr/bin/node", cli: "/opt/plexus-bridge/bin/plexus-bridge.js" });
    expect(unitNodeOptions(rendered)).toBe("--max-semi-space-size=1");
  });

  it("node accepts the unit's and the example's NODE_OPTIONS, and they cap the young generation", () => {
    const offered = offeredNodeOptions();
    expect(offered.length).toBeGreaterThan(0);
    // The defaults let it grow to 32 MiB; each setting here keeps it at 2 MiB (two 1 MiB semi-spaces).
    expect(newSpaceMiB("")).toBeGreaterThan(8);
    for (const options of [unitNodeOptions(shipped) as string, ...offered]) {
      // A NODE_OPTIONS in /etc/default replaces the unit's: every line offered there keeps the cap.
      expect(options).toMatch(/--max-semi-space-size=1\b/);
      expect(newSpaceMiB(options)).toBeLessThanOrEqual(2);
    }
  });
});

describe("plexus-bridge install-service --root DIR", () => {
  it("writes the unit, /etc/plexus-bridge with the example and its schema, the env file; check fails until the key exists", async () => {
    const root = tempDir();
    const first = installService("--root", root);
    expect(first.status).toBe(78);
    expect(first.stdout).toContain(`The API key is missing. The unit hands ${root}/etc/plexus-bridge/api_key to the bridge`);
    expect(first.stderr).toContain("plexus.api_key: secret file");
    const unit = readFileSync(join(root, "etc/systemd/system/plexus-bridge.service"), "utf8");
    expect(unit).toContain(`ExecStart=${process.execPath} ${join(repoRoot, "bin/plexus-bridge.js")} run -c /etc/plexus-bridge/config.yaml`);
    const config = readFileSync(join(root, "etc/plexus-bridge/config.yaml"), "utf8");
    expect(config).toBe(readFileSync(join(repoRoot, "config/example.yaml"), "utf8"));
    // The config's first line points at ./plexus-bridge.schema.json: it is there, for this version.
    expect(config.split("\n")[0]).toBe("# yaml-language-server: $schema=./plexus-bridge.schema.json");
    expect(readFileSync(join(root, "etc/plexus-bridge/plexus-bridge.schema.json"), "utf8")).toBe(await jsonSchemaText());
    expect(readFileSync(join(root, "etc/default/plexus-bridge"), "utf8")).toBe(
      readFileSync(join(repoRoot, "systemd/plexus-bridge.env.example"), "utf8"),
    );

    // The key written as the README says; an edited config is kept.
    writeFileSync(join(root, "etc/plexus-bridge/api_key"), "plx_test00000000000000000000000000000\n");
    writeFileSync(join(root, "etc/plexus-bridge/config.yaml"), config.replace("source_id: press-line-3", "source_id: press-line-4"));
    const second = installService("--root", root);
    expect(second.stderr).toBe("");
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`keep ${root}/etc/plexus-bridge/config.yaml (exists; never overwritten)`);
    expect(second.stdout).toContain("OK; source press-line-4; 2 adapter(s)");
    expect(second.stdout).toContain("sudo systemctl daemon-reload && sudo systemctl enable --now plexus-bridge");
    expect(second.stdout).not.toContain("plx_test0000");
  }, 120_000);

  it("--dry-run writes nothing; --instance writes the template and NAME.yaml", () => {
    const root = tempDir();
    const dry = installService("--root", root, "--dry-run");
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`would write ${root}/etc/systemd/system/plexus-bridge.service`);
    expect(dry.stdout).toContain("ExecStart=");
    expect(existsSync(join(root, "etc"))).toBe(false);

    mkdirSync(join(root, "etc/plexus-bridge"), { recursive: true });
    writeFileSync(join(root, "etc/plexus-bridge/api_key"), "plx_test00000000000000000000000000000\n");
    const instance = installService("--root", root, "--instance", "press3");
    expect(instance.status).toBe(0);
    expect(instance.stdout).toContain("enable --now plexus-bridge@press3");
    expect(existsSync(join(root, "etc/plexus-bridge/press3.yaml"))).toBe(true);
    expect(readFileSync(join(root, "etc/systemd/system/plexus-bridge@.service"), "utf8")).toContain("run -c /etc/plexus-bridge/%i.yaml");
    expect(installService("--instance", "../etc").status).toBe(64);
  }, 120_000);

  it.skipIf(!hasAnalyze)(
    "systemd-analyze verifies the written units and rates them <= 4.5 (needs systemd-analyze: apt-get install systemd)",
    () => {
      const root = tempDir();
      mkdirSync(join(root, "etc/plexus-bridge"), { recursive: true });
      writeFileSync(join(root, "etc/plexus-bridge/api_key"), "plx_test00000000000000000000000000000\n");
      expect(installService("--root", root).status).toBe(0);
      expect(installService("--root", root, "--instance", "press3").status).toBe(0);
      for (const name of ["plexus-bridge.service", "plexus-bridge@.service"]) {
        const unit = join(root, "etc/systemd/system", name);
        const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
        expect(`${verify.stdout}${verify.stderr}`).toBe("");
        expect(verify.status).toBe(0);
        const security = spawnSync("systemd-analyze", ["security", "--offline=yes", unit], { encoding: "utf8" });
        const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
        expect(score).toBeLessThanOrEqual(4.5);
      }
    },
    120_000,
  );
});

describe("plexus-bridge schema --write [PATH]", () => {
  it("writes into a folder under the schema's name, or to a file, never into the package", async () => {
    const dir = tempDir();
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: {} };
    expect(await runSchemaCommand(["--write", dir], io)).toBe(0);
    expect(readFileSync(join(dir, "plexus-bridge.schema.json"), "utf8")).toBe(await jsonSchemaText());
    expect(await runSchemaCommand(["--write", join(dir, "other.json")], io)).toBe(0);
    expect(existsSync(join(dir, "other.json"))).toBe(true);
    expect(out.join("")).toBe(`wrote ${join(dir, "plexus-bridge.schema.json")}\nwrote ${join(dir, "other.json")}\n`);
  });
});
