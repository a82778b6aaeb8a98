import { setTimeout as sleep } from "node:timers/promises";
import { AppError, describeError, isAppError } from "@conclave/errors";
import { fullJitterDelay } from "./backoff.js";
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitSnapshot,
  createCircuitBreaker,
} from "./circuit-breaker.js";
import { collectStream } from "./collect-stream.js";
import { linkedAbort } from "./linked-abort.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "./provider.js";
import { abortFailure, ProviderFailure, retryAfterOf, transportFailure } from "./provider-failure.js";

export interface ResilienceOptions {
  /** One attempt may take at most this long, streaming included. */
  timeoutMs?: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Full-jitter exponential backoff between attempts: base and ceiling. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * A longer `Retry-After` is not slept on: the error is thrown at once and carries the wait (see
   * `retryAfterOf`), so a worker is not held and the caller can redeliver later.
   */
  maxRetryAfterMs?: number;
  /** One circuit per model of this provider. */
  circuit?: Omit<CircuitBreakerOptions, "now">;
  now?: () => number;
  random?: () => number;
}

/** A provider wrapped in timeouts, retries and per-model circuit breakers. */
export interface ResilientProvider extends LlmProvider {
  /** The model's circuit, created on first use. */
  circuit(model: string): CircuitBreaker;
  /** Every circuit this provider has opened so far, for health reports. */
  circuits(): CircuitSnapshot[];
}

/**
 * Wraps any provider so each call gets a per-attempt timeout, retries with full-jitter backoff
 * that honour `Retry-After` (never on a permanent error, never once `stream()` has yielded), and a
 * circuit breaker per provider and model. `complete()` buffers each attempt, so it may retry a
 * call that failed halfway.
 */
export function withResilience(inner: LlmProvider, options: ResilienceOptions = {}): ResilientProvider {
  const name = inner.name;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const backoff = {
    baseMs: options.backoffBaseMs ?? 500,
    maxMs: options.backoffMaxMs ?? 8_000,
    random: options.random,
  };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  const breakers = new Map<string, CircuitBreaker>();

  const circuit = (model: string) => {
    let breaker = breakers.get(model);
    if (!breaker) {
      breaker = createCircuitBreaker(`${name}/${model}`, { ...options.circuit, now });
      breakers.set(model, breaker);
    }
    return breaker;
  };

  const circuitOpen = (breaker: CircuitBreaker) => {
    const probeAt = breaker.snapshot().probeAt;
    const retryAfterMs = probeAt === undefined ? undefined : Math.max(0, probeAt - now());
    const message = `${breaker.key}: circuit open${retryAfterMs === undefined ? "" : `, next probe in ${retryAfterMs} ms`}`;
    return new AppError("unavailable", message, {
      cause: new ProviderFailure(message, { provider: name, retryAfterMs, circuitOpen: true }),
    });
  };

  const classify = (
    e: unknown,
    caller: AbortSignal | undefined,
    deadline: { aborted: boolean },
  ): AppError => {
    if (caller?.aborted) return abortFailure(name, caller);
    if (deadline.aborted)
      return new AppError("timeout", `${name}: no answer within ${timeoutMs} ms`, { cause: e });
    if (isAppError(e)) return e;
    return transportFailure(name, describeError(e), e);
  };

  async function* attempts(request: CompletionRequest, buffered: boolean): AsyncGenerator<StreamEvent> {
    const breaker = circuit(request.model || request.agent.model || "default");
    const caller = request.signal;
    for (let attempt = 1; ; attempt++) {
      if (caller?.aborted) throw abortFailure(name, caller);
      const permit = breaker.tryAcquire();
      if (!permit) throw circuitOpen(breaker);
      // Aborted by the caller or at the deadline; only the deadline's own timer is a timeout.
      let timedOut = false;
      const attemptAbort = linkedAbort({
        parent: caller,
        timeoutMs,
        timeoutReason: () => {
          timedOut = true;
          return new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError");
        },
      });
      const deadline = {
        get aborted() {
          return timedOut;
        },
      };
      const signal = attemptAbort.signal;
      let yielded = false;
      let settled = false;
      let waitMs = 0;
      try {
        const held: StreamEvent[] = [];
        for await (const event of inner.stream({ ...request, signal })) {
          if (buffered) held.push(event);
          else {
            yielded = true;
            yield event;
          }
        }
        permit.success();
        settled = true;
        yield* held;
        return;
      } catch (e) {
        if (settled) throw e;
        settled = true;
        const failure = classify(e, caller, deadline);
        if (caller?.aborted) {
          permit.release();
          throw failure;
        }
        // A permanent answer still proves the provider is up, so it does not count against the circuit.
        if (failure.permanent) permit.success();
        else permit.failure();
        if (failure.permanent || yielded || attempt >= maxAttempts || breaker.state() !== "closed")
          throw failure;
        const asked = retryAfterOf(failure);
        if (asked !== undefined && asked > maxRetryAfterMs) throw failure;
        waitMs = asked ?? fullJitterDelay(attempt, backoff);
      } finally {
        attemptAbort.dispose();
        // The consumer stopped early: the call has no verdict.
        if (!settled) permit.release();
      }
      try {
        await sleep(waitMs, undefined, { signal: caller });
      } catch (e) {
        if (caller?.aborted) throw abortFailure(name, caller);
        throw e;
      }
    }
  }

  return {
    name,
    stream: (request) => attempts(request, false),
    complete: (request) => collectStream(attempts(request, true)),
    circuit,
    circuits: () => [...breakers.values()].map((b) => b.snapshot()),
  };
}
