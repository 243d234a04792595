/**
 * The install command for a missing optional module, per layout: a pure function of the package
 * root and node's path, so no real install here (.ci/run installs the packed tarball for real).
 */
import { describe, expect, it } from "vitest";
import { installCommand, installHint, installLayout } from "../src/install-hint.js";
import { packageRoot } from "../src/package-root.js";

const NODE = "/usr/bin/node";

describe("installLayout and installCommand", () => {
  it("a global install beside this node's npm: npm install -g", () => {
    const layout = installLayout("/usr/lib/node_modules/plexus-bridge", NODE);
    expect(layout).toEqual({ kind: "global" });
    expect(installCommand(["better-sqlite3@12"], layout)).toBe("npm install -g better-sqlite3@12");
  });

  it("a global install under another prefix (--prefix, nvm): npm install -g --prefix that prefix", () => {
    const layout = installLayout("/opt/plexus/lib/node_modules/plexus-bridge", NODE);
    expect(layout).toEqual({ kind: "global", prefix: "/opt/plexus" });
    expect(installCommand(["socketcan@4"], layout)).toBe("npm install -g --prefix /opt/plexus socketcan@4");
    expect(
      installLayout(
        "/home/ops/.nvm/versions/node/v20.20.2/lib/node_modules/plexus-bridge",
        "/home/ops/.nvm/versions/node/v20.20.2/bin/node",
      ),
    ).toEqual({
      kind: "global",
    });
  });

  it("a dependency of a project: cd to the project, npm install", () => {
    const layout = installLayout("/srv/gateway/node_modules/plexus-bridge", NODE);
    expect(layout).toEqual({ kind: "project", project: "/srv/gateway" });
    expect(installCommand(["node-opcua-client@2.186", "node-opcua-certificate-manager@2.186"], layout)).toBe(
      "cd /srv/gateway && npm install node-opcua-client@2.186 node-opcua-certificate-manager@2.186",
    );
    // Scoped, one level deeper.
    expect(installLayout("/srv/gateway/node_modules/@acme/plexus-bridge", NODE)).toEqual({ kind: "project", project: "/srv/gateway" });
  });

  it("a checkout: cd to it, npm install --no-save (package.json stays as it is)", () => {
    const layout = installLayout("/home/dev/plexus-bridge", NODE);
    expect(layout).toEqual({ kind: "checkout", checkout: "/home/dev/plexus-bridge" });
    expect(installCommand(["better-sqlite3@12"], layout)).toBe("cd /home/dev/plexus-bridge && npm install --no-save better-sqlite3@12");
  });

  it("quotes a path a shell would split", () => {
    expect(installCommand(["socketcan@4"], { kind: "checkout", checkout: "/home/dev/my bridge's" })).toBe(
      "cd '/home/dev/my bridge'\\''s' && npm install --no-save socketcan@4",
    );
  });

  it("this checkout", () => {
    expect(installHint("socketcan@4")).toBe(`cd ${packageRoot()} && npm install --no-save socketcan@4`);
  });
});
