/**
 * The client's PKI: its application certificate and key (own/), and the trusted/, rejected/ and
 * issuers/ folders, under the state dir. Created at the first start, with the thumbprint logged so
 * that the operator can find the certificate to trust on the server side. Trust-on-first-use pins
 * the server certificate seen at first contact; strict trusts only what is in trusted/.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";
import type { Logger } from "../../src/log.js";

export interface ClientPki {
  manager: OPCUACertificateManager;
  dir: string;
  certificateFile: string;
  privateKeyFile: string;
  applicationUri: string;
  thumbprint: string;
}

export async function openClientPki(dir: string, applicationName: string, id: string, log: Logger): Promise<ClientPki> {
  await mkdir(dir, { recursive: true });
  const manager = new OPCUACertificateManager({ rootFolder: dir, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  const certificateFile = join(dir, "own", "certs", "client_certificate.pem");
  const applicationUri = `urn:${hostname()}:plexus-bridge:${id}`;
  const created = !existsSync(certificateFile);
  if (created) {
    await manager.createSelfSignedCertificate({
      applicationUri,
      dns: [hostname()],
      outputFile: certificateFile,
      subject: `/CN=${applicationName}/O=plexus-bridge`,
      startDate: new Date(),
      validity: 365 * 10,
    });
  }
  const thumbprint = thumbprintOf(await readFile(certificateFile, "utf8"));
  if (created) log.info("client certificate created: the server must trust it", { file: certificateFile, thumbprint });
  else log.info("client certificate", { file: certificateFile, thumbprint });
  return { manager, dir, certificateFile, privateKeyFile: manager.privateKey, applicationUri, thumbprint };
}

/** SHA-1 of the DER certificate, in hex: what OPC-UA tools show as the thumbprint. */
export function thumbprintOf(certificate: string | Buffer): string {
  const der = typeof certificate === "string" ? pemToDer(certificate) : certificate;
  return createHash("sha1").update(der).digest("hex");
}

export function pemToDer(pem: string): Buffer {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!body) throw new Error("not a PEM certificate");
  return Buffer.from(body[1].replace(/\s+/g, ""), "base64");
}

/**
 * Trust on first use: the first server certificate seen for an endpoint is trusted and its
 * thumbprint pinned (pinned/<endpoint hash>); a later, different one is refused until an operator
 * moves it from rejected/ into trusted/certs/.
 */
export async function trustOnFirstUse(
  pki: ClientPki,
  endpoint: string,
  serverCertificate: Buffer,
  log: Logger,
): Promise<{ trusted: boolean; detail?: string }> {
  const thumbprint = thumbprintOf(serverCertificate);
  const status = await pki.manager.isCertificateTrusted(serverCertificate);
  if (status === "Good") return { trusted: true };
  const pinFile = join(pki.dir, "pinned", `${createHash("sha1").update(endpoint).digest("hex").slice(0, 16)}.txt`);
  const pinned = existsSync(pinFile) ? (await readFile(pinFile, "utf8")).trim() : undefined;
  if (pinned === undefined) {
    await pki.manager.trustCertificate(serverCertificate);
    await mkdir(join(pki.dir, "pinned"), { recursive: true });
    await writeFile(pinFile, `${thumbprint}\n`);
    log.info("server certificate trusted at first contact (trust: tofu)", { endpoint, thumbprint });
    return { trusted: true };
  }
  if (pinned === thumbprint) {
    // Pinned before, but removed from trusted/ since: the operator's decision stands.
    return { trusted: false, detail: await untrustedDetail(pki, serverCertificate) };
  }
  await pki.manager.rejectCertificate(serverCertificate);
  return {
    trusted: false,
    detail: `server certificate changed (pinned ${pinned}): ${await untrustedDetail(pki, serverCertificate)}`,
  };
}

/** The message of an untrusted server certificate: its thumbprint and the file to move. */
export async function untrustedDetail(pki: ClientPki, serverCertificate: Buffer): Promise<string> {
  const thumbprint = thumbprintOf(serverCertificate);
  await pki.manager.rejectCertificate(serverCertificate).catch(() => undefined);
  const file = await rejectedFileOf(pki, thumbprint);
  const trustedDir = join(pki.dir, "trusted", "certs");
  return `server certificate ${thumbprint} is not trusted: move ${file ?? join(pki.dir, "rejected", `*[${thumbprint}].pem`)} into ${trustedDir}/`;
}

async function rejectedFileOf(pki: ClientPki, thumbprint: string): Promise<string | undefined> {
  const folder = join(pki.dir, "rejected");
  const names = await readdir(folder).catch(() => [] as string[]);
  const name = names.find((n) => n.toLowerCase().includes(thumbprint));
  return name ? join(folder, name) : undefined;
}
