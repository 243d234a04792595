/**
 * The weak spot of other gateways: a server restart. The test server (a child process) is killed
 * (SIGKILL, no goodbye), started again on the same port with its namespace renumbered, and the
 * adapter must come back by itself: new session, every monitored item restored, the log saying
 * so, values resuming. Then the server goes silent (SIGSTOP) and comes back (SIGCONT).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientPkiDir, logged, type Running, removeTempDirs, runAdapter, waitFor } from "./helpers.js";
import { plant, TEST_NAMESPACE, TestServer } from "./served.js";

const server = new TestServer();
let running: Running | undefined;
let polling: Running | undefined;

beforeAll(async () => {
  await server.start();
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await polling?.stop();
  await server.close();
  removeTempDirs();
});

const counterValues = (r: Running, from = 0) => r.harness.points.slice(from).filter((p) => p.metric === "counter");

describe("opcua server restarts", () => {
  it("restores every subscription after a server crash and restart that renumbered the namespace", async () => {
    running = await runAdapter({
      endpoint: server.endpoint,
      pki_dir: clientPkiDir(),
      publishing_interval: "200ms",
      sampling_interval: "100ms",
      keepalive_count: 2,
      request_timeout: "2s",
      nodes: [
        { node_id: plant("Counter"), name: "counter" },
        { node_id: plant("Double"), name: "double" },
        { node_id: plant("Broken"), name: "broken" },
      ],
    });
    // Poll mode on the same server: its Read loop must come back too.
    polling = await runAdapter({
      endpoint: server.endpoint,
      pki_dir: clientPkiDir(),
      mode: "poll",
      sampling_interval: "200ms",
      request_timeout: "2s",
      nodes: [{ node_id: plant("Counter"), name: "counter" }],
    });
    const r = running;
    const p = polling;
    await waitFor(() => counterValues(r).length >= 3 && counterValues(p).length >= 3, "counter values before the crash");
    const indexBefore = server.namespaces.indexOf(TEST_NAMESPACE);

    await server.kill();
    await waitFor(() => r.harness.states.at(-1)?.state === "down", "down after the crash");
    const mark = r.harness.points.length;
    await waitFor(() => p.harness.states.at(-1)?.state === "down", "poll mode down after the crash");
    const pollMark = p.harness.points.length;
    await server.start({ renumber: true });
    expect(server.namespaces.indexOf(TEST_NAMESPACE)).not.toBe(indexBefore);

    await waitFor(() => logged(r.harness, "subscriptions restored: 3 items"), "subscriptions restored", 90_000);
    await waitFor(() => counterValues(r, mark).length >= 3, "counter values after the restart", 30_000);
    await waitFor(() => counterValues(p, pollMark).length >= 3, "polled values after the restart", 30_000);
    expect(r.harness.points.slice(mark).some((p) => p.metric === "double" && p.value === 3.25)).toBe(true);
    expect(r.harness.states.at(-1)).toMatchObject({ state: "up", detail: "3 item(s)" });
    // The Bad node was reported once, not once per session.
    expect(r.harness.log.lines.filter((l) => l.message === "bad status: no value")).toHaveLength(1);
  }, 240_000);

  it("notices a subscription that stopped publishing while the session still answers, and resumes on a new session", async () => {
    const r = running!;
    await waitFor(() => r.harness.states.at(-1)?.state === "up", "up");
    const sessions = r.harness.log.lines.filter((l) => l.message === "session created").length;
    const restored = r.harness.log.lines.filter((l) => l.message.startsWith("subscriptions restored")).length;
    server.stallPublishing();
    // node-opcua times the unanswered Publish requests out and closes the channel; the adapter's own
    // watchdog (3 keep-alive periods without a publish) is the backstop for servers that do not.
    await waitFor(() => r.harness.log.lines.filter((l) => l.message === "session created").length > sessions, "a new session", 30_000);
    const mark = r.harness.points.length;
    await waitFor(() => counterValues(r, mark).length >= 3, "counter values on the new session", 30_000);
    expect(r.harness.log.lines.filter((l) => l.message.startsWith("subscriptions restored")).length).toBeGreaterThan(restored);
  }, 120_000);

  it("notices a server gone silent (SIGSTOP), and values resume once it answers again", async () => {
    const r = running!;
    await waitFor(() => r.harness.states.at(-1)?.state === "up", "up");
    const downs = r.harness.states.filter((s) => s.state === "down").length;
    server.freeze();
    try {
      await waitFor(() => r.harness.states.filter((s) => s.state === "down").length > downs, "down while frozen", 30_000);
    } finally {
      server.thaw();
    }
    const mark = r.harness.points.length;
    await waitFor(() => counterValues(r, mark).length >= 3, "counter values after the thaw", 60_000);
    expect(r.harness.log.lines.filter((l) => l.message.startsWith("subscriptions restored")).length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
