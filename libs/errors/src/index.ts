export { describeError, type LoggedError, loggableError } from "./describe-error.js";
export { followAbort } from "./follow-abort.js";

/** The closed set of error codes; transports map each to a status or an ack decision in one place. */
export type ErrorCode =
  | "validation"
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  /** Well-formed but refused as a whole, e.g. an Idempotency-Key reused for another request. */
  | "unprocessable"
  | "payload_too_large"
  | "unavailable"
  /** An upstream the edge proxies to refused, failed or is unreachable. */
  | "bad_gateway"
  | "timeout"
  | "permanent"
  | "internal";

const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  "validation",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "unprocessable",
  "payload_too_large",
  "permanent",
]);

export interface FieldIssue {
  path: string;
  message: string;
}

/** The one error class of the project: a code from the closed union, a message, and an optional cause. */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: ErrorCode;
  readonly fields: FieldIssue[];
  /** For `rate_limited` and `unavailable`: when a retry may succeed. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; fields?: FieldIssue[]; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.fields = options.fields ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
  /** A permanent error is never retried: the message is terminated (and dead-lettered). */
  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** For exhaustive switches over unions: a compile error when a case is missing. */
export function assertNever(value: never, what = "value"): never {
  throw new AppError("internal", `unexpected ${what}: ${JSON.stringify(value)}`);
}
