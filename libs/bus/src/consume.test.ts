import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { decideFailure } from "./consume.js";

const policy = { maxDeliver: 5, retryBaseMs: 100, retryMaxMs: 1000, random: () => 1 };

describe("decideFailure", () => {
  it("terminates a permanent error at once", () => {
    expect(decideFailure(new AppError("validation", "bad"), 1, policy)).toEqual({
      action: "term",
      reason: "validation: bad",
    });
  });
  it("retries a transient error with exponential, capped backoff", () => {
    expect(decideFailure(new Error("x"), 1, policy)).toEqual({ action: "nak", delayMs: 100 });
    expect(decideFailure(new Error("x"), 3, policy)).toEqual({ action: "nak", delayMs: 400 });
    expect(decideFailure(new AppError("unavailable", "x"), 4, policy)).toEqual({
      action: "nak",
      delayMs: 800,
    });
  });
  it("gives up at the delivery limit", () => {
    const d = decideFailure(new Error("boom"), 5, policy);
    expect(d.action).toBe("term");
  });
  it("jitters between half and the whole delay", () => {
    const d = decideFailure(new Error("x"), 2, { ...policy, random: () => 0 });
    expect(d).toEqual({ action: "nak", delayMs: 100 });
  });
});
