/**
 * MQTT topic filters: checking one written in the config, and matching a topic against it
 * (for routing a message to its subscription and for allow_publish).
 */

/** Why `filter` is not a valid MQTT topic filter, or undefined when it is. */
export function validFilter(filter: string): string | undefined {
  if (filter.length === 0) return "a topic filter cannot be empty";
  if (Buffer.byteLength(filter) > 65_535) return "a topic filter is at most 65535 bytes";
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return '"#" must be a whole level, the last one';
    if (level.includes("+") && level !== "+") return '"+" must be a whole level';
  }
  return undefined;
}

/** Splits a filter once, for matching many topics against it. */
export class TopicFilter {
  private readonly levels: string[];
  /** A shared subscription ($share/group/filter) receives topics matching the filter after the group. */
  readonly subscribed: string;

  constructor(readonly filter: string) {
    const share = /^\$share\/[^/]+\/(.+)$/.exec(filter);
    this.subscribed = filter;
    this.levels = (share ? share[1] : filter).split("/");
  }

  matches(topic: string): boolean {
    const levels = this.levels;
    const parts = topic.split("/");
    // Topics starting with $ ($SYS) are not matched by a leading wildcard (MQTT 3.1.1 §4.7.2).
    if (topic.startsWith("$") && (levels[0] === "+" || levels[0] === "#")) return false;
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level === "#") return true;
      if (i >= parts.length) return false;
      if (level !== "+" && level !== parts[i]) return false;
    }
    return parts.length === levels.length;
  }
}
