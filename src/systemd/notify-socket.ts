/**
 * The sd_notify datagram, sent from the bridge's own process so the unit can say
 * NotifyAccess=main. Node has no AF_UNIX datagram sockets (nodejs/node#29339, #61933), and
 * forking `systemd-notify` makes another pid the sender, which NotifyAccess=main rejects. koffi
 * (a maintained FFI with prebuilt binaries for Linux x64/arm64/arm, no compiler needed) calls
 * libc's socket(2) and sendto(2) directly: the kernel stamps each datagram with the caller's
 * credentials, and the caller is the main process.
 *
 * The protocol (sd_notify(3)): one datagram of newline-separated KEY=VALUE lines to the socket
 * in $NOTIFY_SOCKET; a leading "@" names an abstract socket (the "@" becomes a NUL byte).
 */
import { endianness } from "node:os";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un): sa_family_t (2 bytes) + sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;

export interface NotifySocket {
  /** Sends one datagram; throws with the errno name when the kernel refuses it. */
  send(message: string): void;
  close(): void;
}

/** struct sockaddr_un for a path or an "@abstract" name, and the length sendto() needs. */
export function sockaddrUn(address: string): { addr: Buffer; length: number } {
  const abstract = address.startsWith("@");
  const name = Buffer.from(abstract ? `\0${address.slice(1)}` : address);
  // A path needs room for its terminating NUL; an abstract name is exactly its bytes.
  if (name.length + (abstract ? 0 : 1) > SOCKADDR_UN_SIZE - 2) throw new Error(`NOTIFY_SOCKET is too long: ${address}`);
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  if (endianness() === "LE") addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  name.copy(addr, 2);
  return { addr, length: 2 + name.length + (abstract ? 0 : 1) };
}

/**
 * Opens an unbound datagram socket aimed at `address` (a NOTIFY_SOCKET value). Rejects when
 * the address is not a unix socket (systemd also allows vsock: for VMs, which the bridge does
 * not need) or when koffi cannot load on this platform.
 */
export async function openNotifySocket(address: string): Promise<NotifySocket> {
  if (!address.startsWith("/") && !address.startsWith("@")) throw new Error(`unsupported NOTIFY_SOCKET: ${address}`);
  const { addr, length } = sockaddrUn(address);
  const koffi = (await import("koffi")).default;
  // null: the symbols already in the process, i.e. the libc Node itself runs on (glibc or musl).
  const libc = koffi.load(null);
  const socket = libc.func("int socket(int domain, int type, int protocol)");
  const sendto = libc.func("intptr_t sendto(int fd, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t addrlen)");
  const close = libc.func("int close(int fd)");
  const errorName = () => {
    const code = koffi.errno();
    const name = Object.entries(koffi.os.errno).find(([, value]) => value === code)?.[0];
    return name ?? `errno ${code}`;
  };
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM): ${errorName()}`);
  let open = true;
  return {
    send(message) {
      if (!open) return;
      const data = Buffer.from(message);
      // MSG_DONTWAIT: a full socket buffer (systemd busy) must never block the event loop.
      const sent = Number(sendto(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, length));
      if (sent < 0) throw new Error(`sendto ${address}: ${errorName()}`);
    },
    close() {
      if (!open) return;
      open = false;
      close(fd);
    },
  };
}
