/**
 * Turns a serial port open error into what the operator must do about it. serialport's native
 * binding reports only strerror() text ("Error: Permission denied, cannot open /dev/ttyUSB0"),
 * with no errno code, so the text is matched; a Node error with a `code` is matched too.
 */
import { userInfo } from "node:os";

interface ErrorLike {
  message?: string;
  code?: string;
}

const KINDS: { code: string; text: RegExp }[] = [
  { code: "EACCES", text: /permission denied/i },
  { code: "ENOENT", text: /no such file or directory/i },
  { code: "EBUSY", text: /device or resource busy|cannot lock port|resource temporarily unavailable/i },
];

/** EACCES, ENOENT, EBUSY or undefined, from an error's code or its strerror text. */
export function serialErrorKind(error: unknown): "EACCES" | "ENOENT" | "EBUSY" | undefined {
  const { message = String(error), code } = (error ?? {}) as ErrorLike;
  for (const kind of KINDS) {
    if (code === kind.code || kind.text.test(message)) return kind.code as "EACCES" | "ENOENT" | "EBUSY";
  }
  return undefined;
}

/** One line saying what is wrong with `path` and, where there is one, the fix. */
export function describeSerialOpenError(error: unknown, path: string): string {
  const message = (error as ErrorLike | undefined)?.message ?? String(error);
  switch (serialErrorKind(error)) {
    case "EACCES":
      return (
        `permission denied on ${path}: the bridge's user (${currentUser()}) must be in the group owning the device, ` +
        `usually dialout: sudo usermod -aG dialout ${currentUser()} then log in again ` +
        "(under systemd: SupplementaryGroups=dialout in the unit)"
      );
    case "ENOENT":
      return `${path}: device not present (unplugged, or another path: see ls -l /dev/serial/by-id)`;
    case "EBUSY":
      return `${path}: in use by another process (find it with: fuser -v ${path})`;
    default:
      return `${path}: ${message.replace(/^Error:?\s*/, "")}`;
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "<user>";
  }
}
