/** Why a file could not be read, in words for a config problem (never its contents). */
export function readErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "the file does not exist";
    case "EISDIR":
      return "it is a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a folder on its path is a file";
    default:
      return code ? `cannot read it (${code})` : (error as Error).message;
  }
}
