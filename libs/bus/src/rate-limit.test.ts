import { describe, expect, it } from "vitest";
import { refill } from "./rate-limit.js";

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
