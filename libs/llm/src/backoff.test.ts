import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fullJitterDelay } from "./backoff.js";

describe("fullJitterDelay", () => {
  it("draws from [0, min(max, base * 2^(retry-1)))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseMs, maxMs, r) => {
          const d = fullJitterDelay(retry, { baseMs, maxMs, random: () => r });
          const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(ceiling);
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });
  it("doubles its ceiling each retry until the cap", () => {
    const top = (retry: number) =>
      fullJitterDelay(retry, { baseMs: 100, maxMs: 1_000, random: () => 0.999_999 });
    expect([1, 2, 3, 4, 5].map(top)).toEqual([99, 199, 399, 799, 999]);
  });
});
