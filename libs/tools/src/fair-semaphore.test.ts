import { describe, expect, it } from "vitest";
import { createFairSemaphore, fairShareOf } from "./fair-semaphore.js";

const signal = new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("createFairSemaphore", () => {
  it("never lets one key take more than its share, so another key gets a slot at once", async () => {
    const sem = createFairSemaphore({ slots: 4, perKey: 2 });
    const a1 = await sem.acquire("a", signal);
    await sem.acquire("a", signal);
    let a3In = false;
    const a3 = sem.acquire("a", signal).then((r) => {
      a3In = true;
      return r;
    });
    await tick();
    expect(a3In).toBe(false);
    expect(sem.load("a")).toBe(3);
    // Two slots are still free, and only another key may use them.
    await sem.acquire("b", signal);
    await sem.acquire("c", signal);
    a1();
    (await a3)();
    expect(sem.load("a")).toBe(1);
  });

  it("gives a freed slot to the waiting key that holds the fewest, the longest waiter among equals", async () => {
    const sem = createFairSemaphore({ slots: 2, perKey: 2 });
    const a1 = await sem.acquire("a", signal);
    const a2 = await sem.acquire("a", signal);
    const order: string[] = [];
    const wait = (key: string) =>
      sem.acquire(key, signal).then((r) => {
        order.push(key);
        return r;
      });
    const [a3, a4, b, c] = [wait("a"), wait("a"), wait("b"), wait("c")];
    a1();
    await tick();
    expect(order).toEqual(["b"]);
    a2();
    await tick();
    // a and c hold none now: a has waited longer.
    expect(order).toEqual(["b", "a"]);
    (await b)();
    await tick();
    expect(order).toEqual(["b", "a", "c"]);
    (await a3)();
    await tick();
    expect(order).toEqual(["b", "a", "c", "a"]);
    (await c)();
    (await a4)();
    expect(sem.load("a")).toBe(0);
  });

  it("rejects a waiter whose signal aborts and drops it from the queue", async () => {
    const sem = createFairSemaphore({ slots: 1, perKey: 1 });
    const a = await sem.acquire("a", signal);
    const ctl = new AbortController();
    const b = sem.acquire("b", ctl.signal);
    ctl.abort();
    await expect(b).rejects.toMatchObject({ code: "unavailable" });
    expect(sem.load("b")).toBe(0);
    a();
    a();
    (await sem.acquire("c", signal))();
  });

  it("computes a share of at least one slot and at most all", () => {
    expect(fairShareOf(256, 0.5)).toBe(128);
    expect(fairShareOf(2, 0.5)).toBe(1);
    expect(fairShareOf(1, 0.25)).toBe(1);
    expect(fairShareOf(4, 2)).toBe(4);
  });
});
