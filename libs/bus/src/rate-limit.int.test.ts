import { openTestBus, type TestBus } from "@conclave/testing";
import { type KV, Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provision } from "./provision.js";
import { createRateLimiter, type RateLimiter } from "./rate-limit.js";

let bus: TestBus;
let a: RateLimiter;
let b: RateLimiter;

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names);
  // Two limiters on one bucket: what two edge replicas share.
  const kv = await new Kvm(bus.nc).open(bus.names.bucket("limits"));
  a = createRateLimiter(kv);
  b = createRateLimiter(await new Kvm(bus.nc).open(bus.names.bucket("limits")));
});
afterAll(async () => {
  await bus?.dispose();
});

describe("shared token buckets", () => {
  it("allow exactly the burst under heavy concurrency from two replicas, never more", async () => {
    const limit = { perMinute: 1, burst: 10 };
    const takes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).take("busy-key", limit)),
    );
    expect(takes.filter((d) => d.allowed)).toHaveLength(10);
    expect(takes.filter((d) => !d.allowed).every((d) => d.retryAfterMs > 0)).toBe(true);
  });

  it("read a key once, then write from what they stored, reading again only when that is stale", async () => {
    const kv = await new Kvm(bus.nc).open(bus.names.bucket("limits"));
    let gets = 0;
    const counted = new Proxy(kv, {
      get(target, prop) {
        if (prop === "get")
          return (...args: Parameters<KV["get"]>) => {
            gets++;
            return target.get(...args);
          };
        const v: unknown = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const c = createRateLimiter(counted);
    const limit = { perMinute: 1, burst: 5 };
    for (let i = 0; i < 4; i++) expect((await c.take("remembered", limit)).allowed).toBe(true);
    expect(gets).toBe(1);
    // Another replica takes meanwhile: the stored revision moved, so the next write fails and reads again.
    expect(await a.take("remembered", limit)).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await c.take("remembered", limit);
    expect(refused.allowed).toBe(false);
    expect(gets).toBe(2);
  });

  it("never refuse on what they remember: an entry gone since (aged out) is a full bucket again", async () => {
    const kv = await new Kvm(bus.nc).open(bus.names.bucket("limits"));
    const limit = { perMinute: 1, burst: 2 };
    expect((await a.take("aged", limit)).allowed).toBe(true);
    expect((await a.take("aged", limit)).allowed).toBe(true);
    expect((await a.take("aged", limit)).allowed).toBe(false);
    for await (const k of await kv.keys("rl.>")) await kv.purge(k);
    expect(await a.take("aged", limit)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("decide concurrent takes of one key in batches, exactly", async () => {
    const kv = await new Kvm(bus.nc).open(bus.names.bucket("limits"));
    let writes = 0;
    const counted = new Proxy(kv, {
      get(target, prop) {
        if (prop === "update" || prop === "create")
          return (...args: Parameters<KV["update"]>) => {
            writes++;
            return prop === "update" ? target.update(...args) : target.create(args[0], args[1]);
          };
        const v: unknown = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const c = createRateLimiter(counted);
    const limit = { perMinute: 1, burst: 40 };
    const takes = await Promise.all(Array.from({ length: 50 }, () => c.take("batched", limit)));
    expect(takes.filter((d) => d.allowed)).toHaveLength(40);
    expect(takes.filter((d) => d.allowed).map((d) => d.remaining)).toEqual(
      Array.from({ length: 40 }, (_, i) => 39 - i),
    );
    expect(writes).toBeLessThan(50);
  });

  it("count failures per key within their window, and clear them", async () => {
    expect(await a.recordFailure("login:x", 60_000)).toBe(1);
    expect(await b.recordFailure("login:x", 60_000)).toBe(2);
    expect((await a.failures("login:x")).count).toBe(2);
    await b.clearFailures("login:x");
    expect((await a.failures("login:x")).count).toBe(0);
  });

  it("treat an unreadable stored value as an empty bucket and overwrite it", async () => {
    const kv = await new Kvm(bus.nc).open(bus.names.bucket("limits"));
    const key = "corrupt-key";
    const first = await a.take(key, { perMinute: 60, burst: 5 });
    expect(first.remaining).toBe(4);
    for await (const k of await kv.keys("rl.>")) await kv.put(k, "not json {");
    const next = await b.take(key, { perMinute: 60, burst: 5 });
    expect(next).toMatchObject({ allowed: true, remaining: 4 });
    expect((await a.take(key, { perMinute: 60, burst: 5 })).remaining).toBe(3);
  });
});
