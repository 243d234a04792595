import { describe, expect, it } from "vitest";
import { pointError } from "../../src/gateway/validate.js";
import type { PointInput } from "../../src/pipeline/point.js";
import { pointJson } from "../../src/pipeline/point-json.js";
import { prepareStaticTags, type Stamping, validatePoint } from "../../src/pipeline/validate.js";

const stamping = (over: Partial<Stamping> = {}): Stamping => ({
  prefix: "a.",
  tags: undefined,
  mono: 5_000,
  sessionId: undefined,
  names: new Map(),
  ...over,
});

describe("validatePoint", () => {
  it.each<[string, PointInput, string | RegExp]>([
    ["NaN", { metric: "m", value: Number.NaN }, /not a finite number/],
    ["Infinity", { metric: "m", value: Number.POSITIVE_INFINITY }, /not a finite number/],
    ["null value", { metric: "m", value: null as unknown as number }, "value is null"],
    ["missing value", { metric: "m" } as PointInput, "value is missing"],
    ["empty metric", { metric: "", value: 1 }, /non-empty/],
    ["long metric", { metric: "é".repeat(130), value: 1 }, /metric is 262 bytes/],
    ["long string", { metric: "m", value: "x".repeat(257) }, /string value is 257 bytes/],
    ["big object", { metric: "m", value: { text: "x".repeat(5000) } }, /of JSON \(max 4096\)/],
    ["seconds timestamp", { metric: "m", value: 1, timestamp: 1_755_700_000 }, /not epoch milliseconds/],
    ["non-string tag", { metric: "m", value: 1, tags: { n: 1 as unknown as string } }, "tag n must be a string"],
    ["long tag", { metric: "m", value: 1, tags: { k: "v".repeat(300) } }, /tag k value is 300 bytes/],
    [
      "17 tags",
      { metric: "m", value: 1, tags: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) },
      "17 tags (max 16)",
    ],
    ["bigint", { metric: "m", value: 1n as unknown as number }, /type bigint/],
  ])("refuses %s", (_, input, reason) => {
    const result = validatePoint(input, stamping());
    expect(typeof result).toBe("string");
    expect(result).toMatch(reason);
  });

  it("infers the class: numbers are metrics, booleans, strings and objects events", () => {
    const classes = [1, true, "on", { a: 1 }, [1, 2]].map((value) => {
      const result = validatePoint({ metric: "m", value }, stamping());
      return typeof result === "string" ? result : result.point.class;
    });
    expect(classes).toEqual(["metric", "event", "event", "event", "event"]);
  });

  it("adds the prefix, merges static tags under the point's own, and stamps the session", () => {
    const result = validatePoint(
      { metric: "rpm", value: 3, tags: { bus: "can1" } },
      stamping({ tags: prepareStaticTags({ site: "hall", bus: "can0" }), sessionId: "session_1" }),
    );
    if (typeof result === "string") throw new Error(result);
    expect(result.point).toEqual({
      class: "metric",
      metric: "a.rpm",
      value: 3,
      timestamp: 5_000,
      mono: true,
      tags: { site: "hall", bus: "can1", session_id: "session_1" },
      session_id: "session_1",
    });
  });

  it("counts static tags against the limit of 16", () => {
    const fixed = prepareStaticTags(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, "v"])));
    const own = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`o${i}`, "v"]));
    expect(validatePoint({ metric: "m", value: 1, tags: own }, stamping({ tags: fixed }))).toBe("17 tags (max 16)");
  });

  it("passes a source's own timestamp through untouched", () => {
    const result = validatePoint({ metric: "m", value: 1, timestamp: 1_755_700_000_123 }, stamping());
    if (typeof result === "string") throw new Error(result);
    expect(result.point.timestamp).toBe(1_755_700_000_123);
    expect(result.point.mono).toBeUndefined();
  });

  it("never passes a point the gateway's own validator rejects, and estimates bytes from above (random points)", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const text = (max: number) => {
      const alphabet = ["a", "Z", "é", "\u0000", '"', "\\", "😀", "中", " "];
      return Array.from({ length: Math.floor(random() * max) }, () => pick(alphabet)).join("");
    };
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = pick<() => unknown>([
        () => random() * 1e6 - 5e5,
        () => pick([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e308, 5e-324]),
        () => text(300),
        () => random() < 0.5,
        () => ({ nested: text(40), list: [1, 2, text(10)] }),
        () => Array.from({ length: Math.floor(random() * 600) }, () => text(8)),
        () => null,
        () => undefined,
      ])();
      const tags =
        random() < 0.5
          ? undefined
          : Object.fromEntries(Array.from({ length: Math.floor(random() * 20) }, () => [text(20) || "k", random() < 0.95 ? text(300) : 7]));
      const input = {
        metric: text(120),
        value,
        tags,
        timestamp: random() < 0.2 ? pick([1.7e12, 1.7e9, Number.NaN]) : undefined,
      } as PointInput;
      const result = validatePoint(input, stamping({ prefix: pick(["", "adapter_1."]) }));
      if (typeof result === "string") continue;
      accepted++;
      const wire = pointJson(result.point, 1_755_700_000_000);
      expect(pointError(JSON.parse(wire), 0)).toBeUndefined();
      expect(Buffer.byteLength(wire)).toBeLessThanOrEqual(result.bytes);
    }
    expect(accepted).toBeGreaterThan(2000);
  });
});
