/**
 * The live status page in a real browser: Debian's headless Chromium loads the page of a bridge
 * running the demo config (real MAVLink and CAN replays, the local gateway the demo starts),
 * waits for live values, checks the DOM on a desktop and a phone viewport, and saves screenshots.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Child, repoRoot, spawnChild, waitFor } from "../helpers/child.js";
import { type Browser, hasChromium, launchChromium, NEEDS_CHROMIUM, type Page } from "../helpers/chromium.js";

/** Types into the metric filter as a person would. */
async function filter(page: Page, text: string): Promise<void> {
  await page.evaluate(
    `(() => { const f = document.getElementById("filter"); f.value = ${JSON.stringify(text)}; f.dispatchEvent(new Event("input")); })()`,
  );
}

describe.skipIf(!hasChromium)(`status page in headless Chromium on the demo config (${NEEDS_CHROMIUM})`, () => {
  const dir = mkdtempSync(join(tmpdir(), "plexus-status-page-"));
  let bridge: Child;
  let browser: Browser;
  let url = "";

  beforeAll(async () => {
    // The demo config as shipped, with its capture paths made absolute and the status server on a free port.
    const demo = readFileSync(join(repoRoot, "config", "demo.yaml"), "utf8").replaceAll(
      "../test/fixtures/",
      `${join(repoRoot, "test", "fixtures")}/`,
    );
    const file = join(dir, "demo.yaml");
    writeFileSync(file, `${demo}\nstatus:\n  listen: 127.0.0.1:0\n`);
    bridge = spawnChild(["cli", "demo", "-c", file]);
    await waitFor(() => bridge.stderr.some((line) => /status server on http:\/\/127\.0\.0\.1:\d+/.test(line)), 30_000, "the status server");
    url = /status server on (http:\/\/127\.0\.0\.1:\d+)/.exec(bridge.stderr.find((line) => line.includes("status server on"))!)![1];
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    bridge?.process.kill("SIGTERM");
    await bridge?.exited;
  });

  it("shows adapters, uplink, queue and live metric values with sparklines on a desktop screen", async () => {
    const page = await browser.open(`${url}/`, { width: 1280, height: 900 });
    await page.waitFor(`document.querySelector('[data-adapter="sub"] .pill')?.textContent === "up"`);
    await page.waitFor(`document.querySelector('[data-adapter="car"] .pill')?.textContent === "up"`);
    // Live: the page keeps receiving snapshots, and replayed values arrive with a history.
    const ticks = Number(await page.evaluate<string>("document.body.dataset.ticks"));
    await page.waitFor(`Number(document.body.dataset.ticks) >= ${ticks + 2}`);
    await filter(page, "sub.attitude");
    await page.waitFor(`document.querySelector('tr[data-metric="sub.attitude.roll"] polyline')`, 20_000);
    expect(await page.evaluate<string>(`document.getElementById("health").textContent`)).toBe("healthy");
    expect(await page.evaluate<string>(`document.getElementById("live").textContent`)).toBe("● live");
    const roll = await page.evaluate<string>(`document.querySelector('tr[data-metric="sub.attitude.roll"] td.num').textContent`);
    expect(Number(roll)).toEqual(expect.any(Number));
    expect(Number.isNaN(Number(roll))).toBe(false);
    const source = await page.evaluate<string>(`document.querySelector('[data-source="plexus-bridge-demo"]').textContent`);
    expect(source).toContain("websocket");
    expect(source).toMatch(/rtt\s*[\d.]+ ms/);
    expect(source).toContain("✓"); // the counter identity holds
    const car = await page.evaluate<string>(`document.querySelector('[data-adapter="car"]').textContent`);
    expect(car).toMatch(/frames\s*[\d,]+/); // the CAN adapter's own health counter
    expect(await page.evaluate<string>(`document.getElementById("about").textContent`)).toContain("demo.yaml");

    // The filter narrows the table to matching metrics.
    await filter(page, "");
    const all = await page.evaluate<number>(`document.querySelectorAll("#metrics tr").length`);
    await filter(page, "car.*Signal");
    const shown = await page.evaluate<string[]>(`[...document.querySelectorAll("#metrics tr")].map((tr) => tr.dataset.metric)`);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(all);
    for (const metric of shown) expect(metric).toMatch(/^car\..*signal/i);
    // The screenshot shows the dive's values, which move.
    await filter(page, "sub.");

    const png = join(dir, "status-page-desktop.png");
    await page.screenshot(png, 1400);
    console.log(`status page screenshot (desktop): ${png}`);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 60_000);

  it("fits a phone screen without sideways scrolling", async () => {
    const page = await browser.open(`${url}/`, { width: 390, height: 844, mobile: true });
    await page.waitFor(`document.getElementById("filter")`);
    await filter(page, "sub.attitude");
    await page.waitFor(`document.querySelector('tr[data-metric="sub.attitude.roll"] polyline')`, 20_000);
    expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    const png = join(dir, "status-page-phone.png");
    await page.screenshot(png);
    console.log(`status page screenshot (phone): ${png}`);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  }, 60_000);
});
