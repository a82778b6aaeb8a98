import { openTestBus, type TestBus } from "@conclave/testing";
import { Kvm } from "@nats-io/kv";
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
