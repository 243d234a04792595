/**
 * One connection to the server: a node-opcua client, its secure channel and one session, with the
 * server's NamespaceArray read at every connect. node-opcua's own reconnection is turned off
 * (maxRetry 0): a lost connection is thrown away whole and the adapter builds a new one, with a
 * new session and every subscription created again, so nothing depends on the server still
 * knowing the old session (it does not after a restart) or on namespace indexes staying the same.
 * Imported lazily by index.ts: node-opcua loads only when a config uses this adapter.
 */

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type ClientSession,
  type EndpointDescription,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from "node-opcua-client";
import type { Logger } from "../../src/log.js";
import type { OpcuaOptions } from "./options.js";
import { type ClientPki, pemToDer, trustOnFirstUse, untrustedDetail } from "./pki.js";

/** A failure that retrying soon will not fix (trust, credentials, no matching endpoint). */
export class SetupError extends Error {
  override name = "SetupError";
}

export interface Connection {
  client: OPCUAClient;
  session: ClientSession;
  namespaces: string[];
  /** Rejects when the connection is lost (channel closed, session keep-alive failed). */
  lost: Promise<never>;
  close(): Promise<void>;
}

const MODES = { None: MessageSecurityMode.None, Sign: MessageSecurityMode.Sign, SignAndEncrypt: MessageSecurityMode.SignAndEncrypt };
const POLICIES = {
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

export async function openConnection(options: OpcuaOptions, pki: ClientPki, configDir: string, log: Logger): Promise<Connection> {
  const secure = options.security_mode !== "None";
  const securityMode = MODES[options.security_mode];
  const securityPolicy = secure ? POLICIES[options.security_policy] : SecurityPolicy.None;
  if (secure) await checkServerCertificate(options, pki, securityMode, securityPolicy, log);
  const client = OPCUAClient.create({
    applicationName: options.application_name,
    applicationUri: pki.applicationUri,
    clientCertificateManager: pki.manager,
    certificateFile: pki.certificateFile,
    privateKeyFile: pki.privateKeyFile,
    securityMode,
    securityPolicy,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    keepSessionAlive: true,
    keepAliveInterval: Math.max(1000, Math.min(options.request_timeout, 5000)),
    requestedSessionTimeout: 60_000,
    defaultTransactionTimeout: options.request_timeout,
    transportTimeout: options.request_timeout,
  });
  let rejectLost: (error: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => {
    rejectLost = reject;
  });
  lost.catch(() => undefined);
  client.on("connection_lost", () => rejectLost(new Error("connection lost")));
  client.on("close", () => rejectLost(new Error("connection closed")));
  client.on("start_reconnection", () => rejectLost(new Error("connection lost")));
  let session: ClientSession | undefined;
  const close = async () => {
    // A dead server never answers CloseSession: the whole close is bounded.
    await withTimeout(
      (async () => {
        if (session) await session.close(true).catch(() => undefined);
        await client.disconnect().catch(() => undefined);
      })(),
      3000,
    ).catch(() => client.disconnect().catch(() => undefined));
  };
  try {
    await withTimeout(client.connect(options.endpoint), options.request_timeout + 2000, "connect timed out");
    session = await withTimeout(
      client.createSession(await identityOf(options, configDir)),
      options.request_timeout,
      "CreateSession timed out",
    );
    session.on("keepalive_failure", () => rejectLost(new Error("session keep-alive failed")));
    session.on("session_closed", () => rejectLost(new Error("session closed by the server")));
    const namespaces = await withTimeout(session.readNamespaceArray(), options.request_timeout, "reading the NamespaceArray timed out");
    return { client, session, namespaces, lost, close };
  } catch (error) {
    await close();
    throw classify(error);
  }
}

async function identityOf(options: OpcuaOptions, configDir: string): Promise<UserIdentityInfo> {
  const auth = options.auth;
  if (auth === "anonymous") return { type: UserTokenType.Anonymous };
  if ("username" in auth) return { type: UserTokenType.UserName, userName: auth.username, password: auth.password };
  const [certificate, privateKey] = await Promise.all([
    readFile(resolve(configDir, auth.certificate), "utf8"),
    readFile(resolve(configDir, auth.private_key), "utf8"),
  ]).catch((error: Error) => {
    throw new SetupError(`cannot read the user certificate or key: ${error.message}`);
  });
  return { type: UserTokenType.Certificate, certificateData: pemToDer(certificate), privateKey };
}

/**
 * Before a secure connection: the server's certificate for the chosen mode and policy, checked
 * against the trust rule, so that an untrusted one gives a message naming it and the file to move.
 */
async function checkServerCertificate(
  options: OpcuaOptions,
  pki: ClientPki,
  securityMode: MessageSecurityMode,
  securityPolicy: SecurityPolicy,
  log: Logger,
): Promise<void> {
  // The client's own PKI even here: a client without one would make a default certificate in the home folder.
  const discovery = OPCUAClient.create({
    applicationName: options.application_name,
    applicationUri: pki.applicationUri,
    clientCertificateManager: pki.manager,
    certificateFile: pki.certificateFile,
    privateKeyFile: pki.privateKeyFile,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  });
  let endpoints: EndpointDescription[];
  try {
    await withTimeout(discovery.connect(options.endpoint), options.request_timeout + 2000, "connect timed out");
    endpoints = await withTimeout(discovery.getEndpoints(), options.request_timeout, "GetEndpoints timed out");
  } catch (error) {
    throw classify(error);
  } finally {
    await withTimeout(discovery.disconnect(), 2000).catch(() => undefined);
  }
  const endpoint = endpoints.find((e) => e.securityMode === securityMode && e.securityPolicyUri === securityPolicy);
  if (!endpoint) {
    const offered = [...new Set(endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${e.securityPolicyUri?.split("#")[1]}`))];
    throw new SetupError(
      `the server offers no ${options.security_mode}/${options.security_policy} endpoint (offered: ${offered.join(", ")})`,
    );
  }
  const certificate = endpoint.serverCertificate;
  // The operator may have moved certificates between trusted/ and rejected/ since the last attempt.
  await pki.manager.reloadCertificates();
  if (!certificate || certificate.length === 0) throw new SetupError("the server sent no certificate for a secure endpoint");
  if (options.trust === "tofu") {
    const verdict = await trustOnFirstUse(pki, options.endpoint, certificate, log);
    if (!verdict.trusted) throw new SetupError(verdict.detail ?? "server certificate not trusted");
    return;
  }
  if ((await pki.manager.isCertificateTrusted(certificate)) !== "Good") throw new SetupError(await untrustedDetail(pki, certificate));
}

/** node-opcua's errors carry the status code name in their message: keep it, drop the noise. */
export function classify(error: unknown): Error {
  if (error instanceof SetupError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = /\b(Bad[A-Za-z]+)\b/.exec(message)?.[1];
  const setup = [
    "BadUserAccessDenied",
    "BadIdentityTokenRejected",
    "BadIdentityTokenInvalid",
    "BadSecurityChecksFailed",
    "BadCertificateUntrusted",
  ];
  if (code && setup.includes(code)) return new SetupError(`${code}: ${firstLine(message)}`);
  if (code) return new Error(`${code}: ${firstLine(message)}`);
  return new Error(firstLine(message));
}

function firstLine(text: string): string {
  return text.split("\n")[0].trim().slice(0, 300);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message = "timed out"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
