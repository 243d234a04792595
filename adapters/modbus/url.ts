/** Parses the adapter's `url` into what the transport needs. */

export type Endpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "rtu+tcp"; host: string; port: number }
  | {
      kind: "rtu";
      path: string;
      baudRate: number;
      parity: "none" | "even" | "odd";
      stopBits: 1 | 2;
      dataBits: 7 | 8;
    };

export function parseEndpoint(url: string): Endpoint {
  const match = /^(tcp|rtu\+tcp|rtu):\/\/(.*)$/.exec(url);
  if (!match) throw new Error(`unsupported url "${url}": expected tcp://, rtu:// or rtu+tcp://`);
  const [, scheme, rest] = match;
  if (scheme === "rtu") {
    const [path, query = ""] = rest.split("?", 2);
    if (!path.startsWith("/")) throw new Error(`rtu url needs an absolute device path (rtu:///dev/ttyUSB0), got "${url}"`);
    const params = new URLSearchParams(query);
    for (const key of params.keys()) {
      if (!["baud", "parity", "stop_bits", "data_bits"].includes(key)) throw new Error(`unknown rtu url parameter "${key}"`);
    }
    const baudRate = Number(params.get("baud") ?? 9600);
    const parity = params.get("parity") ?? "none";
    const stopBits = Number(params.get("stop_bits") ?? 1);
    const dataBits = Number(params.get("data_bits") ?? 8);
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new Error(`bad baud "${params.get("baud")}"`);
    if (parity !== "none" && parity !== "even" && parity !== "odd") throw new Error(`parity must be none, even or odd, got "${parity}"`);
    if (stopBits !== 1 && stopBits !== 2) throw new Error(`stop_bits must be 1 or 2, got "${params.get("stop_bits")}"`);
    if (dataBits !== 7 && dataBits !== 8) throw new Error(`data_bits must be 7 or 8, got "${params.get("data_bits")}"`);
    return { kind: "rtu", path, baudRate, parity, stopBits, dataBits };
  }
  const parsed = new URL(`tcp://${rest}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw new Error(`url "${url}" has no host`);
  const port = parsed.port ? Number(parsed.port) : 502;
  return { kind: scheme === "tcp" ? "tcp" : "rtu+tcp", host, port };
}

/** One line for logs and status, without anything secret (there is nothing secret in a Modbus url). */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === "rtu" ? `rtu://${endpoint.path}@${endpoint.baudRate}` : `${endpoint.kind}://${endpoint.host}:${endpoint.port}`;
}
