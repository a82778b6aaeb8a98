import { AppError, type ErrorCode } from "@conclave/errors";
import { retryAfterFromHeaders } from "./retry-after.js";

/**
 * The details of a provider failure, carried as the `cause` of the `AppError` thrown: which
 * provider, the HTTP status if it answered, how long it asked us to wait, and whether the call
 * never left because the circuit was open.
 */
export class ProviderFailure extends Error {
  override readonly name = "ProviderFailure";
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly circuitOpen: boolean;
  constructor(
    message: string,
    details: {
      provider: string;
      status?: number;
      retryAfterMs?: number;
      circuitOpen?: boolean;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.provider = details.provider;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.circuitOpen = details.circuitOpen ?? false;
  }
}

/**
 * Retryable statuses: a timeout, a conflict, a rate limit, and any server error. Every other 4xx
 * means the request itself is wrong, and sending it again cannot help.
 */
export function codeForStatus(status: number): ErrorCode {
  if (status === 408 || status === 409 || status === 429 || status >= 500) return "unavailable";
  return "permanent";
}

/** The `AppError` for an HTTP error answer; `Retry-After` is read on 429 and 503, as RFC 9110 defines it. */
export function httpFailure(
  provider: string,
  status: number,
  detail: string,
  options: { headers?: { get(name: string): string | null }; retryAfterMs?: number; cause?: unknown } = {},
): AppError {
  const retryAfterMs =
    status === 429 || status === 503
      ? (options.retryAfterMs ?? (options.headers ? retryAfterFromHeaders(options.headers) : undefined))
      : undefined;
  const message = `${provider}: HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ""}`;
  return new AppError(codeForStatus(status), message, {
    cause: new ProviderFailure(message, { provider, status, retryAfterMs, cause: options.cause }),
  });
}

/** The `AppError` for a call that never got an answer (connection refused, reset, bad stream). */
export function transportFailure(provider: string, detail: string, cause?: unknown): AppError {
  const message = `${provider}: ${detail}`;
  return new AppError("unavailable", message, { cause: new ProviderFailure(message, { provider, cause }) });
}

/** The `AppError` for an aborted call: `timeout` when a deadline fired, else `unavailable` (try again later). */
export function abortFailure(provider: string, signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "TimeoutError")
    return new AppError("timeout", `${provider}: ${reason.message || "timed out"}`, { cause: reason });
  return new AppError("unavailable", `${provider}: aborted`, { cause: reason });
}

/** The `ProviderFailure` behind an error, if it has one. */
export function providerFailureOf(e: unknown): ProviderFailure | undefined {
  if (e instanceof ProviderFailure) return e;
  if (e instanceof Error && e.cause instanceof ProviderFailure) return e.cause;
  return undefined;
}

/** How long the provider asked to wait before the next try (a `nak` delay for the caller), if it did. */
export function retryAfterOf(e: unknown): number | undefined {
  return providerFailureOf(e)?.retryAfterMs;
}

/** Whether the call was refused before it left, because its provider's circuit is open. */
export function isCircuitOpen(e: unknown): boolean {
  return providerFailureOf(e)?.circuitOpen ?? false;
}
