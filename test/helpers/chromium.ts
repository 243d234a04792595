/**
 * Headless Debian Chromium for page tests, driven over the DevTools protocol with `ws` (already
 * a dependency; puppeteer-core 25 wants Node 22, and no browser is ever downloaded). Off CI a
 * developer may lack chromium: those tests skip, saying so; CI installs it (.ci/run), so there
 * its absence fails the run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = spawnSync(CHROMIUM, ["--version"]).status === 0;
if (!hasChromium && process.env.CI === "true") throw new Error("chromium is required in CI (apt-get install -y chromium)");

/** For describe.skipIf names: why the block is skipped where chromium is missing. */
export const NEEDS_CHROMIUM = "needs chromium: apt-get install chromium";

export interface Viewport {
  width: number;
  height: number;
  /** A phone: touch, mobile layout, device scale factor 2. */
  mobile?: boolean;
}

export interface Page {
  /** Evaluates an expression in the page; returns its JSON value (promises awaited). */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy. */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** Saves a PNG of the page to `file`: the whole page (not just the viewport), or its top `maxHeight` CSS pixels. */
  screenshot(file: string, maxHeight?: number): Promise<void>;
}

export interface Browser {
  open(url: string, viewport: Viewport): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "plexus-chromium-"));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("chromium did not print its DevTools endpoint in 20 s")), 20_000);
    createInterface({ input: child.stderr! }).on("line", (line) => {
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`chromium exited (${code}) before it listened`)));
  });
  const cdp = await connect(endpoint);
  return {
    async open(url, viewport) {
      const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", { targetId, flatten: true });
      const send = <T>(method: string, params: object = {}) => cdp.send<T>(method, params, sessionId);
      const metrics = (height: number) =>
        send("Emulation.setDeviceMetricsOverride", {
          width: viewport.width,
          height,
          deviceScaleFactor: viewport.mobile ? 2 : 1,
          mobile: viewport.mobile === true,
        });
      await metrics(viewport.height);
      await send("Page.enable");
      await send("Page.navigate", { url });
      const evaluate = async <T>(expression: string): Promise<T> => {
        const reply = await send<{ result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
          "Runtime.evaluate",
          { expression, returnByValue: true, awaitPromise: true },
        );
        if (reply.exceptionDetails) throw new Error(reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text);
        return reply.result.value;
      };
      return {
        evaluate,
        async waitFor(expression, timeoutMs = 15_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            try {
              if (await evaluate<boolean>(`Boolean(${expression})`)) return;
            } catch {
              // The page may be between documents while it loads.
            }
            if (Date.now() > deadline) throw new Error(`the page never had ${expression} within ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        },
        async screenshot(file, maxHeight = Number.POSITIVE_INFINITY) {
          const height = await evaluate<number>("Math.ceil(document.documentElement.scrollHeight)");
          await metrics(Math.min(maxHeight, Math.max(viewport.height, height)));
          const { data } = await send<{ data: string }>("Page.captureScreenshot", { format: "png" });
          await metrics(viewport.height);
          writeFileSync(file, Buffer.from(data, "base64"));
        },
      };
    },
    async close() {
      await cdp.send("Browser.close").catch(() => {});
      cdp.close();
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

interface Connection {
  send<T = unknown>(method: string, params?: object, sessionId?: string): Promise<T>;
  close(): void;
}

async function connect(endpoint: string): Promise<Connection> {
  const socket = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; method: string }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return; // an event: nothing here listens to them
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) entry?.reject(new Error(`${entry.method}: ${message.error.message}`));
    else entry?.resolve(message.result);
  });
  socket.on("close", () => {
    for (const entry of waiting.values()) entry.reject(new Error(`${entry.method}: the browser closed the connection`));
    waiting.clear();
  });
  return {
    send<T>(method: string, params: object = {}, sessionId?: string) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, method });
        socket.send(JSON.stringify({ id, method, params, sessionId }));
      });
    },
    close: () => socket.close(),
  };
}
