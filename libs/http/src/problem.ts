import { AppError, assertNever, describeError, type ErrorCode, type FieldIssue } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldIssue[];
}

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case "validation":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "rate_limited":
      return 429;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "conflict":
      return 409;
    case "unprocessable":
      return 422;
    case "payload_too_large":
      return 413;
    case "unavailable":
      return 503;
    case "bad_gateway":
      return 502;
    case "timeout":
      return 504;
    case "permanent":
    case "internal":
      return 500;
    default:
      return assertNever(code, "error code");
  }
}

/** Server-side failures whose message says what to do (retry, check the upstream), not how we failed. */
const PUBLIC_DETAIL: ReadonlySet<ErrorCode> = new Set(["unavailable", "bad_gateway", "timeout"]);

export function problemOf(e: AppError): Problem {
  const status = statusOf(e.code);
  const problem: Problem = {
    type: `https://conclave.dev/problems/${e.code.replaceAll("_", "-")}`,
    title: e.code.replaceAll("_", " "),
    status,
    detail: status >= 500 && !PUBLIC_DETAIL.has(e.code) ? "internal error" : e.message,
  };
  if (e.fields.length > 0) problem.errors = e.fields;
  return problem;
}

/** The `application/problem+json` answer for an error, with Retry-After and WWW-Authenticate where due. */
export function problemResponse(c: Context, e: AppError): Response {
  const problem = problemOf(e);
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (e.retryAfterSeconds !== undefined) headers["retry-after"] = String(e.retryAfterSeconds);
  if (e.code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="conclave"';
  return c.body(JSON.stringify(problem), problem.status as 400, headers);
}

/** Seconds a client is told to wait when a backing service is unreachable. */
const UNAVAILABLE_RETRY_AFTER_S = 2;

/**
 * An HTTP app's one error handler: everything becomes `application/problem+json`.
 * `isUnavailable` recognises errors of a backing service that is down (the database): a fast
 * 503 with Retry-After, not a 500.
 */
export function onError(log: Logger, options: { isUnavailable?: (err: unknown) => boolean } = {}) {
  return (err: Error, c: Context) => {
    let e: AppError;
    if ((!(err instanceof AppError) || err.code === "internal") && options.isUnavailable?.(err))
      e = new AppError("unavailable", "a backing service is unreachable; retry shortly", {
        cause: err,
        retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_S,
      });
    else if (err instanceof AppError) e = err;
    else if (err instanceof HTTPException && err.status === 413)
      e = new AppError("payload_too_large", "request body is over the limit");
    else if (err instanceof HTTPException)
      e = new AppError(err.status === 404 ? "not_found" : "validation", err.message);
    else e = new AppError("internal", "unexpected error", { cause: err });
    const problem = problemOf(e);
    if (e.code === "unavailable" || e.code === "bad_gateway" || e.code === "timeout") {
      // While a dependency or an upstream is down or slow: one short line per refused request, without the stack.
      log.warn({ err: describeError(err), path: c.req.path }, e.message);
    } else if (problem.status >= 500) {
      // The whole error: the logger's serializer keeps its code and SQL text, never a query's values.
      log.error({ err, path: c.req.path }, e.message);
    }
    return problemResponse(c, e);
  };
}
