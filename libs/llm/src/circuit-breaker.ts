export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before it lets one probe through. */
  coolDownMs?: number;
  now?: () => number;
}

/** A circuit's state for health reports. */
export interface CircuitSnapshot {
  key: string;
  state: CircuitState;
  consecutiveFailures: number;
  /** When the circuit last opened (epoch ms), while it is not closed. */
  openedAt?: number;
  /** When an open circuit will let a probe through (epoch ms). */
  probeAt?: number;
}

/** Leave to make one call; report how it went exactly once (later reports are ignored). */
export interface CircuitPermit {
  success(): void;
  failure(): void;
  /** The call ended without a verdict (the caller gave up): count nothing. */
  release(): void;
}

/**
 * A circuit breaker: closed until `failureThreshold` consecutive failures, then open (calls are
 * refused) for `coolDownMs`, then half-open: one probe goes through, and closes the circuit on
 * success or opens it again on failure.
 */
export interface CircuitBreaker {
  readonly key: string;
  state(): CircuitState;
  snapshot(): CircuitSnapshot;
  /** A permit to call, or undefined when the circuit is open or its one probe is already out. */
  tryAcquire(): CircuitPermit | undefined;
}

/** Creates a circuit breaker (5 failures, 30 s cool-down by default). */
export function createCircuitBreaker(key: string, options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = Math.max(1, options.failureThreshold ?? 5);
  const coolDownMs = Math.max(0, options.coolDownMs ?? 30_000);
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | undefined;
  let probeOut = false;
  // Bumped on every transition, so a verdict from a call that began in an earlier state is ignored.
  let epoch = 0;

  const state = (): CircuitState => {
    if (openedAt === undefined) return "closed";
    return probeOut || now() >= openedAt + coolDownMs ? "half_open" : "open";
  };
  const open = () => {
    openedAt = now();
    probeOut = false;
    epoch++;
  };
  const close = () => {
    openedAt = undefined;
    failures = 0;
    probeOut = false;
    epoch++;
  };

  const permit = (probe: boolean): CircuitPermit => {
    const mine = epoch;
    let settled = false;
    const settle = (verdict: "success" | "failure" | "release") => {
      if (settled) return;
      settled = true;
      if (mine !== epoch) return;
      if (probe) {
        if (verdict === "success") close();
        else if (verdict === "failure") {
          failures++;
          open();
        } else probeOut = false;
        return;
      }
      if (verdict === "success") failures = 0;
      else if (verdict === "failure") {
        failures++;
        if (failures >= threshold) open();
      }
    };
    return {
      success: () => settle("success"),
      failure: () => settle("failure"),
      release: () => settle("release"),
    };
  };

  return {
    key,
    state,
    snapshot() {
      const s = state();
      return {
        key,
        state: s,
        consecutiveFailures: failures,
        ...(openedAt !== undefined ? { openedAt, probeAt: openedAt + coolDownMs } : {}),
      };
    },
    tryAcquire() {
      const s = state();
      if (s === "closed") return permit(false);
      if (s === "open" || probeOut) return undefined;
      probeOut = true;
      return permit(true);
    },
  };
}
