/**
 * RFC 6455 has a client mask every frame it sends (§5.3) so that a script in a browser cannot make
 * its bytes read as something else to a proxy that does not speak WebSocket (§10.3, cache
 * poisoning). Inside TLS no intermediary sees those bytes, so the XOR only costs CPU: in JavaScript,
 * 0.1–0.3 µs per point at full rate (bench/uplink with WS_NO_BUFFER_UTIL=1). The bridge no longer
 * ships the `bufferutil` native module that did it faster, because it compiles at install on ARM.
 *
 * Over wss:// the key is zero: every frame still carries a masking key, as the RFC requires, and
 * `ws` skips the XOR for it. Over plain ws:// (a local gateway, a test) `ws` keeps its random keys.
 */
import type { ClientOptions } from "ws";

const zeroKey = (key: Uint8Array) => key.fill(0);

export function maskingOptions(url: URL): Pick<ClientOptions, "generateMask"> {
  return url.protocol === "wss:" ? { generateMask: zeroKey } : {};
}
