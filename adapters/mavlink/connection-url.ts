/**
 * Parses the `connection:` URL. Parsed by hand rather than with URL(): `tlog://../flight.tlog`
 * must keep its relative path, and serial device paths are not hosts.
 */
export type Connection =
  | { kind: "udp"; host: string; port: number }
  | { kind: "udpout"; host: string; port: number }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "serial"; path: string; baud: number }
  | { kind: "tlog"; path: string; speed: number | "max"; loop: boolean };

const SCHEME = /^([a-z]+):\/\/([^?]*)(?:\?(.*))?$/;

export function parseConnection(text: string): Connection {
  const match = SCHEME.exec(text.trim());
  if (!match) throw new Error(`connection "${text}" is not a URL like udp://0.0.0.0:14550`);
  const [, scheme, rest, query = ""] = match;
  const params = new URLSearchParams(query);
  switch (scheme) {
    case "udp":
    case "udpout":
    case "tcp": {
      const { host, port } = hostPort(rest, text);
      onlyParams(params, [], text);
      return { kind: scheme, host, port };
    }
    case "serial": {
      if (!rest) throw new Error(`connection "${text}" needs a device path, e.g. serial:///dev/ttyACM0?baud=921600`);
      onlyParams(params, ["baud"], text);
      const baud = params.has("baud") ? Number(params.get("baud")) : 57600;
      if (!Number.isInteger(baud) || baud <= 0) throw new Error(`connection "${text}": baud must be a positive integer`);
      return { kind: "serial", path: rest, baud };
    }
    case "tlog": {
      if (!rest) throw new Error(`connection "${text}" needs a file path, e.g. tlog:///data/flight.tlog`);
      onlyParams(params, ["speed", "loop"], text);
      const speedText = params.get("speed") ?? "1";
      const speed = speedText === "max" ? "max" : Number(speedText);
      if (speed !== "max" && !(Number.isFinite(speed) && speed > 0)) {
        throw new Error(`connection "${text}": speed must be a positive number or max`);
      }
      const loopText = params.get("loop") ?? "false";
      if (loopText !== "true" && loopText !== "false") throw new Error(`connection "${text}": loop must be true or false`);
      return { kind: "tlog", path: decodeURIComponent(rest), speed, loop: loopText === "true" };
    }
    default:
      throw new Error(`connection "${text}": unknown scheme "${scheme}" (use udp, udpout, tcp, serial or tlog)`);
  }
}

function hostPort(text: string, whole: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(text);
  if (!match) throw new Error(`connection "${whole}" needs host:port`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new Error(`connection "${whole}": port must be 1..65535`);
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

function onlyParams(params: URLSearchParams, allowed: string[], whole: string) {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) {
      const expected = allowed.length ? ` (known: ${allowed.join(", ")})` : "";
      throw new Error(`connection "${whole}": unknown parameter "${key}"${expected}`);
    }
  }
}
