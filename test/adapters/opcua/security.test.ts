/**
 * Security against a real node-opcua server: Sign and SignAndEncrypt with Basic256Sha256,
 * anonymous and username/password, trust on first use, an untrusted certificate under
 * trust: strict (down, naming the thumbprint and the file to move; moving it fixes it), and a wrong
 * password (down with BadUserAccessDenied, retried at reconnect_max, never in a tight loop).
 * The password never appears in a log line or a status.
 */
import { existsSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clientPkiDir, last, logged, type Running, serverForFile, waitFor } from "./helpers.js";
import { plant, USER } from "./served.js";

const firstPki = clientPkiDir();
const { adapter } = serverForFile(() => ({ nodes: [{ node_id: plant("Double"), name: "double" }] }));

function everythingSaid(r: Running): string {
  return JSON.stringify([r.harness.log.lines, r.harness.states]);
}

describe("opcua security", () => {
  it("Sign/Basic256Sha256, anonymous: creates the client certificate, trusts the server at first contact, reads", async () => {
    const pki = firstPki;
    const r = await adapter({ pki_dir: pki, security_mode: "Sign", security_policy: "Basic256Sha256" });
    await waitFor(() => last(r.harness, "double"), "a value over a signed channel");
    const created = r.harness.log.lines.find((l) => l.message.startsWith("client certificate created"));
    expect(created?.fields?.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(join(pki, "own", "certs", "client_certificate.pem"))).toBe(true);
    expect(logged(r.harness, "server certificate trusted at first contact")).toBe(true);
    expect(readdirSync(join(pki, "trusted", "certs"))).toHaveLength(1);
  }, 90_000);

  it("SignAndEncrypt/Basic256Sha256 with username and password, never logged", async () => {
    const r = await adapter({ pki_dir: clientPkiDir(), security_mode: "SignAndEncrypt", auth: USER });
    await waitFor(() => last(r.harness, "double"), "a value over an encrypted channel");
    expect(r.harness.states.at(-1)?.state).toBe("up");
    expect(everythingSaid(r)).not.toContain(USER.password);
  }, 90_000);

  it("an X.509 user certificate (here: the first test's application certificate and key) opens a session", async () => {
    const own = join(firstPki, "own");
    const r = await adapter({
      pki_dir: clientPkiDir(),
      security_mode: "SignAndEncrypt",
      auth: { certificate: join(own, "certs", "client_certificate.pem"), private_key: join(own, "private", "private_key.pem") },
    });
    await waitFor(() => last(r.harness, "double"), "a value with a certificate user");
  }, 90_000);

  it("a wrong password: down with BadUserAccessDenied, retried at reconnect_max, not in a loop", async () => {
    const r = await adapter({
      pki_dir: clientPkiDir(),
      security_mode: "SignAndEncrypt",
      auth: { username: USER.username, password: "wrong-pw" },
    });
    const down = await waitFor(() => r.harness.states.find((s) => s.state === "down"), "down");
    expect(down.detail).toContain("BadUserAccessDenied");
    const retry = r.harness.log.lines.find((l) => l.message === "connection down, reconnecting");
    expect(retry?.fields?.retry_in_ms).toBe(2000);
    expect(everythingSaid(r)).not.toContain("wrong-pw");
  }, 90_000);

  it("trust: strict refuses an unknown server certificate, names the file to move, and connects once it is moved", async () => {
    const pki = clientPkiDir();
    const r = await adapter({ pki_dir: pki, security_mode: "Sign", trust: "strict" });
    const down = await waitFor(() => r.harness.states.find((s) => s.state === "down"), "down");
    const move = /server certificate ([0-9a-f]{40}) is not trusted: move (\S+) into (\S+)\/$/.exec(down.detail ?? "");
    expect(move, down.detail).not.toBeNull();
    const [, thumbprint, file, folder] = move!;
    expect(file).toContain(thumbprint);
    expect(existsSync(file)).toBe(true);
    renameSync(file, join(folder, file.split("/").at(-1)!));
    await waitFor(() => last(r.harness, "double"), "a value once the certificate is trusted", 30_000);
  }, 90_000);
});
