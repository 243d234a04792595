/**
 * The link under the conditions modbus-serial handles least well: answers that arrive after their
 * request timed out (RTU framing has no transaction id), a connection that closes or is reset
 * while a request is in flight, and a dead device sharing the link with live ones.
 */
import { describe, expect, it } from "vitest";
import type { AdapterHarness } from "../../helpers/adapter-harness.js";
import type { ModbusTestServer } from "./modbus-test-server.js";
import { servedModbus } from "./served.js";

const served = servedModbus({ id: "plc", interval: "50ms" });
let server: ModbusTestServer;
const start = (scheme: "tcp" | "rtu+tcp", options: Record<string, unknown>) => served.start(options, { scheme });

const values = (harness: AdapterHarness, metric: string) => harness.points.filter((p) => p.metric === metric).map((p) => p.value);

describe("late answers", () => {
  for (const scheme of ["tcp", "rtu+tcp"] as const) {
    it(`${scheme}: an answer arriving after its timeout never answers a later request`, async () => {
      server = await served.serve(scheme === "tcp" ? "tcp" : "rtu");
      server.unit(1).set("holding", 0, [111]);
      server.unit(1).set("holding", 100, [222]);
      // The first request is answered after its timeout (during the retry), the retry itself
      // late too: its answer arrives after the next request went out.
      server.delayFor = (_request, index) => (index === 0 ? 200 : index === 1 ? 100 : 0);
      const { harness } = await start(scheme, {
        timeout: "150ms",
        retries: 1,
        max_gap: 0,
        devices: [
          {
            unit_id: 1,
            points: [
              { name: "a", address: 0 },
              { name: "b", address: 100 },
            ],
          },
        ],
      });
      await expect.poll(() => values(harness, "b").length, { timeout: 5000 }).toBeGreaterThanOrEqual(8);
      expect(new Set(values(harness, "a"))).toEqual(new Set([111]));
      expect(new Set(values(harness, "b"))).toEqual(new Set([222]));
    });
  }
});

describe("the connection goes away with a request in flight", () => {
  for (const how of ["close", "reset"] as const) {
    it(`${how}: the request fails at once as a link loss, not as a device timeout`, async () => {
      server = await served.serve("tcp");
      const port = server.port;
      server.unit(1).set("holding", 0, [7]);
      const { harness } = await start("tcp", {
        timeout: "2s",
        retries: 0,
        reconnect_min: "100ms",
        reconnect_max: "200ms",
        devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }],
      });
      await harness.waitForPoints(2);
      server.delayMs = 5000; // the next request hangs…
      const inFlight = server.requests.length + 1;
      await expect.poll(() => server.requests.length, { timeout: 5000 }).toBeGreaterThanOrEqual(inFlight);
      const lostAt = performance.now();
      await (how === "close" ? server.close() : server.reset()); // …and the connection goes
      await expect.poll(() => harness.states.at(-1)?.state, { timeout: 5000 }).toBe("down");
      // Noticed within a fraction of the 2 s timeout.
      expect(performance.now() - lostAt).toBeLessThan(1000);
      server.delayMs = 0;
      server.unit(1).set("holding", 0, [8]);
      await server.listen(port);
      await expect.poll(() => values(harness, "v").includes(8), { timeout: 5000 }).toBe(true);
      // The device did nothing wrong: no timeout counted, never marked down.
      expect(harness.counters.get("timeouts")).toBeUndefined();
      expect(harness.counters.get("device_timeouts")).toBeUndefined();
      expect(harness.log.lines.filter((l) => l.message === "device not answering, marked down")).toEqual([]);
    });
  }
});

describe("a dead device on a shared link", () => {
  it("delays the others by at most about one timeout, not timeout × (retries + 1)", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [1]);
    server.unit(2);
    const { harness } = await start("tcp", {
      timeout: "200ms",
      retries: 2,
      reconnect_min: "100ms",
      reconnect_max: "100ms",
      devices: [
        { unit_id: 1, name: "live", points: [{ name: "v", address: 0 }] },
        { unit_id: 2, name: "dead", points: [{ name: "v", address: 0 }] },
      ],
    });
    await harness.waitForPoints(2);
    server.silent.add(2);
    const from = server.requests.length;
    await new Promise((r) => setTimeout(r, 2000));
    const live = server.requests
      .slice(from)
      .filter((r) => r.unit === 1)
      .map((r) => r.at);
    const gaps = live.slice(1).map((at, i) => at - live[i]);
    expect(server.requests.slice(from).filter((r) => r.unit === 2).length).toBeGreaterThanOrEqual(3);
    // One 200 ms timeout of the dead unit plus the live unit's 50 ms tick, with slack for a loaded host;
    // three back-to-back attempts of the dead unit would make this ≥ 600 ms.
    expect(Math.max(...gaps)).toBeLessThan(450);
  });
});

describe("a connection that goes silent without closing", () => {
  for (const scheme of ["tcp", "rtu+tcp"] as const) {
    it(`${scheme}: is replaced after ${"3"} unanswered requests in a row, and polling resumes`, async () => {
      server = await served.serve(scheme === "tcp" ? "tcp" : "rtu");
      server.unit(1).set("holding", 0, [7]);
      const { harness } = await start(scheme, {
        timeout: "100ms",
        retries: 0,
        reconnect_min: "50ms",
        reconnect_max: "100ms",
        devices: [{ unit_id: 1, points: [{ name: "v", address: 0 }] }],
      });
      await harness.waitForPoints(2);
      expect(server.accepted).toBe(1);
      server.deafenOpenConnections();
      const before = values(harness, "v").length;
      await expect.poll(() => server.accepted, { timeout: 5000 }).toBe(2);
      await expect.poll(() => values(harness, "v").length, { timeout: 5000 }).toBeGreaterThan(before + 1);
      expect(harness.counters.get("stale_reconnects")).toBe(1);
      expect(harness.log.lines.some((l) => l.level === "warn" && /no answer to 3 requests in a row/.test(String(l.fields?.reason)))).toBe(
        true,
      );
    });
  }

  it("a device answering with exceptions is an answer: the link is kept", async () => {
    server = await served.serve("tcp");
    server.unit(1).set("holding", 0, [7]);
    server.exceptionAt(1, "holding", 5, 2);
    const { harness } = await start("tcp", {
      timeout: "100ms",
      retries: 0,
      devices: [{ unit_id: 1, points: [{ name: "bad", address: 5 }] }],
    });
    await expect.poll(() => harness.counters.get("exceptions") ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
    expect(server.accepted).toBe(1);
    expect(harness.counters.get("stale_reconnects")).toBeUndefined();
  });
});
