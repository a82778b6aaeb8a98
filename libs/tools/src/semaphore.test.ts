import { describe, expect, it } from "vitest";
import { createSemaphore } from "./semaphore.js";

const tick = () => new Promise((r) => setTimeout(r, 10));

describe("createSemaphore", () => {
  it("lets n holders in, the next one only after a release, and counts a double release once", async () => {
    const sem = createSemaphore(2);
    const signal = new AbortController().signal;
    const a = await sem.acquire(signal);
    const b = await sem.acquire(signal);
    let cIn = false;
    const c = sem.acquire(signal).then((release) => {
      cIn = true;
      return release;
    });
    await tick();
    expect(cIn).toBe(false);
    a();
    a();
    const releaseC = await c;
    let dIn = false;
    const d = sem.acquire(signal).then((release) => {
      dIn = true;
      return release;
    });
    await tick();
    expect(dIn).toBe(false);
    b();
    (await d)();
    releaseC();
  });

  it("drops a waiter whose signal aborts", async () => {
    const sem = createSemaphore(1);
    const held = await sem.acquire(new AbortController().signal);
    const cancel = new AbortController();
    const waiting = sem.acquire(cancel.signal);
    cancel.abort();
    await expect(waiting).rejects.toMatchObject({ code: "unavailable" });
    held();
    const again = await sem.acquire(new AbortController().signal);
    again();
  });
});
