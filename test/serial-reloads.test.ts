/** SerialReloads: SIGHUP reloads wait for the start and for each other, so none overlaps another. */
import { describe, expect, it } from "vitest";
import { SerialReloads } from "../src/commands/serial-reloads.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("SerialReloads", () => {
  it("holds reloads asked for during the start, then runs them one at a time, in order", async () => {
    const reloads = new SerialReloads();
    const events: string[] = [];
    let running = 0;
    const reload = (name: string) => async () => {
      running++;
      expect(running).toBe(1); // never two at once
      events.push(`${name} begins`);
      await tick();
      events.push(`${name} ends`);
      running--;
    };
    const first = reloads.run(reload("first"));
    const second = reloads.run(reload("second"));
    await tick();
    expect(events).toEqual([]); // the daemon is still starting
    reloads.started(true);
    await Promise.all([first, second]);
    expect(events).toEqual(["first begins", "first ends", "second begins", "second ends"]);
  });

  it("a failed reload is reported to its caller and does not block the next one", async () => {
    const reloads = new SerialReloads();
    reloads.started(true);
    const failed = reloads.run(async () => {
      throw new Error("config vanished");
    });
    await expect(failed).rejects.toThrow("config vanished");
    let ran = false;
    await reloads.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("runs no reload after a failed start", async () => {
    const reloads = new SerialReloads();
    let ran = false;
    const pending = reloads.run(async () => {
      ran = true;
    });
    reloads.started(false);
    await pending;
    expect(ran).toBe(false);
  });
});
