import { describe, expect, it } from "vitest";
import { periodStart } from "./budget-gate.js";
import { costOf, type Price } from "./price-book.js";

const price: Price = {
  id: "p",
  effectiveFrom: 0,
  inputPerMtok: 3,
  outputPerMtok: 15,
  cachedPerMtok: 0.3,
  currency: "USD",
};

describe("costOf", () => {
  it("prices cached input at its own rate and the rest of the input and the output at theirs", () => {
    // 1,000 uncached + 500 cached input, 200 output: 3,000 + 150 + 3,000 micro-units.
    expect(costOf(price, { inputTokens: 1500, cachedTokens: 500, outputTokens: 200 })).toBe(0.00615);
    expect(costOf(price, { inputTokens: 0, cachedTokens: 0, outputTokens: 0 })).toBe(0);
  });

  it("never counts more cached tokens than input, and rounds to the ledger's 8 decimals", () => {
    expect(costOf(price, { inputTokens: 10, cachedTokens: 50, outputTokens: 0 })).toBe(0.000003);
    const third = { ...price, inputPerMtok: 1 / 3 };
    expect(costOf(third, { inputTokens: 1, cachedTokens: 0, outputTokens: 0 })).toBe(0.00000033);
    expect(costOf(third, { inputTokens: 100, cachedTokens: 0, outputTokens: 0 })).toBe(0.00003333);
    expect(
      costOf({ ...price, inputPerMtok: 0.001 }, { inputTokens: 1, cachedTokens: 0, outputTokens: 0 }),
    ).toBe(0);
  });
});

describe("periodStart", () => {
  it("is the UTC day, or the first of the UTC month", () => {
    const at = new Date("2026-12-31T23:30:00-02:00");
    expect(periodStart("day", at)).toBe("2027-01-01");
    expect(periodStart("month", at)).toBe("2027-01-01");
    expect(periodStart("month", new Date("2026-12-07T10:00:00Z"))).toBe("2026-12-01");
  });
});
