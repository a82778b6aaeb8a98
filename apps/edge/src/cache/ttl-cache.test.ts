import { describe, expect, it } from "vitest";
import { createTtlCache } from "./ttl-cache.js";

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function deferred<T>() {
  let resolve: (v: T) => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("a TTL cache", () => {
  it("answers from memory until the TTL or the value's own expiry, then loads again", async () => {
    const c = clock();
    const cache = createTtlCache<string>({ ttlMs: 100, maxEntries: 10, now: c.now });
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get("k", load)).toBe("v1");
    c.advance(99);
    expect(await cache.get("k", load)).toBe("v1");
    c.advance(1);
    expect(await cache.get("k", load)).toBe("v2");
    // A value that expires before the TTL is kept only that long, one already expired not at all.
    expect(await cache.get("short", load, () => c.now() + 10)).toBe("v3");
    c.advance(10);
    expect(await cache.get("short", load, () => c.now() - 1)).toBe("v4");
    expect(await cache.get("short", load)).toBe("v5");
  });

  it("keeps at most maxEntries, dropping the oldest", async () => {
    const cache = createTtlCache<number>({ ttlMs: 1_000, maxEntries: 2 });
    let loads = 0;
    for (const k of ["a", "b", "c"]) await cache.get(k, async () => ++loads);
    expect(cache.size).toBe(2);
    expect(await cache.get("a", async () => ++loads)).toBe(4);
    expect(await cache.get("c", async () => ++loads)).toBe(3);
  });

  it("shares one load between concurrent misses, and keeps no failure", async () => {
    const cache = createTtlCache<number>({ ttlMs: 1_000, maxEntries: 10 });
    let loads = 0;
    const slow = deferred<number>();
    const load = () => {
      loads++;
      return slow.promise;
    };
    const both = Promise.all([cache.get("k", load), cache.get("k", load)]);
    slow.reject(new Error("database down"));
    await expect(both).rejects.toThrow("database down");
    expect(loads).toBe(1);
    expect(await cache.get("k", async () => 7)).toBe(7);
  });

  it("does not keep what a load read before a drop that happened while it ran", async () => {
    const cache = createTtlCache<string>({ ttlMs: 1_000, maxEntries: 10 });
    const before = deferred<string>();
    const stale = cache.get("k", () => before.promise);
    cache.delete("k");
    // A caller after the drop does not join the load that started before it.
    const fresh = cache.get("k", async () => "after");
    before.resolve("before");
    expect(await stale).toBe("before");
    expect(await fresh).toBe("after");
    expect(await cache.get("k", async () => "again")).toBe("after");

    const during = deferred<string>();
    const other = cache.get("other", () => during.promise);
    cache.deleteWhere((key) => key === "unrelated");
    during.resolve("read before the drop");
    await other;
    expect(await cache.get("other", async () => "read again")).toBe("read again");
  });

  it("drops by key and value, or everything", async () => {
    const cache = createTtlCache<{ owner: string }>({ ttlMs: 1_000, maxEntries: 10 });
    for (const [k, owner] of [
      ["g1:a", "a"],
      ["g1:b", "b"],
      ["g2:a", "a"],
    ] as const)
      await cache.get(k, async () => ({ owner }));
    cache.deleteWhere((key) => key.startsWith("g1:"));
    expect(cache.size).toBe(1);
    cache.deleteWhere((_, v) => v.owner === "a");
    expect(cache.size).toBe(0);
    await cache.get("x", async () => ({ owner: "x" }));
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("keeps nothing with a TTL of 0", async () => {
    const cache = createTtlCache<number>({ ttlMs: 0, maxEntries: 10 });
    let loads = 0;
    await cache.get("k", async () => ++loads);
    await cache.get("k", async () => ++loads);
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });
});
