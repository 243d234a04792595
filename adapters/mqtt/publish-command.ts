/**
 * The `mqtt_publish` dashboard command: {topic, payload, qos, retain}, allowed only for topics
 * that match one of the `allow_publish` filters (none by default), as MAVLink's allow_commands.
 */
import type { TopicFilter } from "./topic.js";

export interface PublishRequest {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export function publishRequest(params: Record<string, unknown>, allowed: readonly TopicFilter[]): PublishRequest {
  const { topic, payload, qos = 0, retain = false } = params;
  if (typeof topic !== "string" || topic === "") throw new Error("mqtt_publish needs a topic (a string)");
  if (/[+#]/.test(topic)) throw new Error(`mqtt_publish: "${topic}" has a wildcard; publish to one topic`);
  if (!allowed.some((filter) => filter.matches(topic))) {
    const hint = allowed.length === 0 ? "allow_publish is empty" : `allow_publish: ${allowed.map((f) => f.filter).join(", ")}`;
    throw new Error(`mqtt_publish to "${topic}" is not allowed (${hint}): add a matching filter to allow_publish in this adapter's config`);
  }
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new Error("mqtt_publish: qos is 0, 1 or 2");
  if (typeof retain !== "boolean") throw new Error("mqtt_publish: retain is true or false");
  let text: string;
  if (typeof payload === "string") text = payload;
  else if (payload === undefined) text = "";
  else text = JSON.stringify(payload);
  return { topic, payload: text, qos, retain };
}
