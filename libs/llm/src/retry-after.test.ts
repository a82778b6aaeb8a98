import { describe, expect, it } from "vitest";
import { parseRetryAfter, retryAfterFromHeaders } from "./retry-after.js";

const now = Date.parse("2025-06-01T12:00:00Z");

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("1.5", now)).toBe(1_500);
  });
  it("reads an HTTP date, relative to now", () => {
    expect(parseRetryAfter("Sun, 01 Jun 2025 12:00:30 GMT", now)).toBe(30_000);
  });
  it("treats a date in the past as now", () => {
    expect(parseRetryAfter("Sun, 01 Jun 2025 11:59:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});

describe("retryAfterFromHeaders", () => {
  it("prefers retry-after-ms, then falls back to Retry-After", () => {
    expect(retryAfterFromHeaders(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(
      250,
    );
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "9" }), now)).toBe(9_000);
    expect(retryAfterFromHeaders(new Headers({ "retry-after-ms": "x", "retry-after": "2" }), now)).toBe(
      2_000,
    );
    expect(retryAfterFromHeaders(new Headers(), now)).toBeUndefined();
  });
});
