import { describe, expect, it } from "vitest";
import { refill, takeTokens } from "./rate-limit.js";

describe("token bucket", () => {
  const limit = { perMinute: 60, burst: 5 };
  it("starts full", () => {
    expect(refill(undefined, limit, 1000)).toEqual({ tokens: 5, at: 1000 });
  });
  it("refills at the sustained rate, capped at the burst", () => {
    expect(refill({ tokens: 0, at: 0 }, limit, 2000)).toEqual({ tokens: 2, at: 2000 });
    expect(refill({ tokens: 4, at: 0 }, limit, 60_000)).toEqual({ tokens: 5, at: 60_000 });
  });
  it("never drains when the clock steps back", () => {
    expect(refill({ tokens: 3, at: 5000 }, limit, 4000).tokens).toBe(3);
  });
});

describe("takes decided together", () => {
  const limit = { perMinute: 60, burst: 5 };
  it("grant whole tokens in order, and refuse the rest until the next one refills", () => {
    const { value, decisions } = takeTokens({ tokens: 2.5, at: 0 }, limit, 0, 4);
    expect(value).toEqual({ tokens: 0.5, at: 0 });
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([1, 0, 0, 0]);
    // 60 per minute: half a token is 500 ms away.
    expect(decisions[2]?.retryAfterMs).toBe(500);
  });
  it("decide as the same takes one after another would", () => {
    let bucket: { tokens: number; at: number } | undefined;
    const oneByOne = Array.from({ length: 7 }, () => {
      const { value, decisions } = takeTokens(bucket, limit, 1000, 1);
      if (value) bucket = value;
      return decisions[0];
    });
    const together = takeTokens(undefined, limit, 1000, 7);
    expect(together.decisions).toEqual(oneByOne);
    expect(together.value).toEqual(bucket);
  });
  it("write nothing when nothing is granted", () => {
    expect(takeTokens({ tokens: 0.2, at: 0 }, limit, 0, 3).value).toBeUndefined();
  });
});
