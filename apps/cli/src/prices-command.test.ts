import { describe, expect, it } from "vitest";
import { UsageError } from "./dlq-command.js";
import { parsePriceArgs } from "./prices-command.js";

const NOW = new Date("2026-12-07T10:00:00Z");

describe("conclave prices set arguments", () => {
  it("reads the rates, the start and the currency; cached defaults to the input rate", () => {
    expect(parsePriceArgs(["anthropic", "claude-x", "--input", "3", "--output", "15"], NOW)).toEqual({
      provider: "anthropic",
      model: "claude-x",
      inputPerMtok: 3,
      outputPerMtok: 15,
      cachedPerMtok: 3,
      effectiveFrom: NOW.toISOString(),
      currency: "USD",
    });
    expect(
      parsePriceArgs(
        [
          "gemini",
          "*",
          "--input",
          "1",
          "--output",
          "2",
          "--cached",
          "0.1",
          "--from",
          "2027-01-01",
          "--currency",
          "EUR",
        ],
        NOW,
      ),
    ).toMatchObject({
      model: "*",
      cachedPerMtok: 0.1,
      effectiveFrom: "2027-01-01T00:00:00.000Z",
      currency: "EUR",
    });
  });

  it("names every problem at once", () => {
    let message = "";
    try {
      parsePriceArgs(["anthropic", "m", "--input", "-1", "--from", "someday", "--colour", "red"], NOW);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      message = (e as Error).message;
    }
    expect(message).toContain("--input must be a number ≥ 0");
    expect(message).toContain("--output is required");
    expect(message).toContain("--from must be an ISO date or date-time");
    expect(message).toContain("unknown flag --colour");
  });
});
