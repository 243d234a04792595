/** A throwaway CA, a broker certificate for 127.0.0.1 signed by it, and a second, unrelated CA, made with openssl. */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandWorks, requirePeer } from "../../helpers/system-peer.js";

/** A system peer (test/helpers/system-peer.ts): skipped with the reason off CI, required in CI. */
const openssl = requirePeer({ name: "openssl", apt: "openssl", probe: () => commandWorks("openssl", ["version"]) });
export const hasOpenssl = openssl.available;
export const NEEDS_OPENSSL = openssl.reason;

export interface TestCertificates {
  ca: string;
  wrongCa: string;
  serverCert: string;
  serverKey: string;
}

export function makeCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const selfSigned = (name: string, cn: string) =>
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
    );
  selfSigned("ca", "plexus-bridge test CA");
  selfSigned("wrong-ca", "some other CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.pem",
  );
  return {
    ca: join(dir, "ca.pem"),
    wrongCa: join(dir, "wrong-ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
  };
}
