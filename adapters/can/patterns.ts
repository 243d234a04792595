/** `Message.Signal` patterns with `*` wildcards, as used by include/exclude and `signals:`. */

export type Matcher = (message: string, signal: string) => boolean;

/** A pattern without a dot names a signal in any message; `Message.*` names a whole message. */
export function compilePattern(pattern: string): Matcher {
  const dot = pattern.indexOf(".");
  if (dot < 0) {
    const signal = globToRegExp(pattern);
    return (_message, name) => signal.test(name);
  }
  const message = globToRegExp(pattern.slice(0, dot));
  const signal = globToRegExp(pattern.slice(dot + 1));
  return (messageName, signalName) => message.test(messageName) && signal.test(signalName);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
  return new RegExp(`^${escaped}$`);
}
