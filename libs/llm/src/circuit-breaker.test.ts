import { describe, expect, it } from "vitest";
import { createCircuitBreaker } from "./circuit-breaker.js";

function clocked(failureThreshold = 3, coolDownMs = 1_000) {
  let t = 10_000;
  const breaker = createCircuitBreaker("p/m", { failureThreshold, coolDownMs, now: () => t });
  return {
    breaker,
    advance: (ms: number) => {
      t += ms;
    },
    fail: () => breaker.tryAcquire()?.failure(),
    succeed: () => breaker.tryAcquire()?.success(),
  };
}

describe("circuit breaker", () => {
  it("opens after N consecutive failures, and a success in between resets the count", () => {
    const { breaker, fail, succeed } = clocked(3);
    fail();
    fail();
    succeed();
    fail();
    fail();
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 2 });
    fail();
    expect(breaker.snapshot()).toEqual({
      key: "p/m",
      state: "open",
      consecutiveFailures: 3,
      openedAt: 10_000,
      probeAt: 11_000,
    });
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it("half-opens after the cool-down and lets exactly one probe through", () => {
    const { breaker, fail, advance } = clocked(1, 1_000);
    fail();
    advance(999);
    expect(breaker.state()).toBe("open");
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(1);
    expect(breaker.state()).toBe("half_open");
    const probe = breaker.tryAcquire();
    expect(probe).toBeDefined();
    expect(breaker.tryAcquire()).toBeUndefined();
    probe?.success();
    expect(breaker.snapshot()).toEqual({ key: "p/m", state: "closed", consecutiveFailures: 0 });
  });

  it("opens again for a full cool-down when the probe fails", () => {
    const { breaker, fail, advance } = clocked(1, 1_000);
    fail();
    advance(1_500);
    breaker.tryAcquire()?.failure();
    expect(breaker.snapshot()).toMatchObject({ state: "open", openedAt: 11_500, probeAt: 12_500 });
    advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it("frees the probe slot when the probe ends without a verdict", () => {
    const { breaker, fail, advance } = clocked(1, 100);
    fail();
    advance(100);
    breaker.tryAcquire()?.release();
    expect(breaker.state()).toBe("half_open");
    expect(breaker.tryAcquire()).toBeDefined();
  });

  it("counts each permit once, and ignores verdicts from calls begun before the circuit changed", () => {
    const { breaker, advance } = clocked(2, 100);
    const slow = breaker.tryAcquire();
    const a = breaker.tryAcquire();
    const b = breaker.tryAcquire();
    a?.failure();
    a?.failure();
    expect(breaker.snapshot().consecutiveFailures).toBe(1);
    b?.failure();
    expect(breaker.state()).toBe("open");
    // A success from before the circuit opened says nothing about the provider now.
    slow?.success();
    expect(breaker.state()).toBe("open");
    advance(100);
    expect(breaker.state()).toBe("half_open");
  });
});
