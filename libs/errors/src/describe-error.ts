/**
 * Errors as they may be logged or stored: never the values of a failed query. The database
 * drivers put them in the message (drizzle: "Failed query: … params: …"), in `params` /
 * `parameters`, and in the server's `detail` ("Key (email)=(…) already exists"), so what is kept
 * is an allowlist: the SQL text (values are `$n` placeholders), the error's code and names.
 */

/** A query error as drizzle wraps it: the SQL text and its values. */
interface FailedQuery extends Error {
  query: string;
  params: unknown[];
}

/** The server's fields that name things without quoting values (postgres.js spelling, then PGlite's). */
const SERVER_NAMES = [
  ["constraint", ["constraint_name", "constraint"]],
  ["table", ["table_name", "table"]],
  ["column", ["column_name", "column"]],
  ["type", ["data_type_name", "dataType"]],
  ["routine", ["routine"]],
] as const;
const MAX_SQL_CHARS = 500;

function isFailedQuery(e: Error): e is FailedQuery {
  const q = e as Partial<FailedQuery>;
  return typeof q.query === "string" && Array.isArray(q.params);
}

/** A server-side SQL error (postgres.js `PostgresError`, PGlite's `DatabaseError`): a SQLSTATE and a severity. */
function isServerError(e: Error): e is Error & Record<string, unknown> & { code: string } {
  const r = e as unknown as Record<string, unknown>;
  return typeof r.code === "string" && /^[0-9A-Z]{5}$/.test(r.code) && typeof r.severity === "string";
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" || typeof code === "number" ? String(code) : undefined;
}

function sqlText(query: string): string {
  const flat = query.replace(/\s+/g, " ").trim();
  return flat.length > MAX_SQL_CHARS ? `${flat.slice(0, MAX_SQL_CHARS)}…` : flat;
}

function serverError(e: Error & Record<string, unknown> & { code: string }): string {
  const names = SERVER_NAMES.flatMap(([label, keys]) => {
    const value = keys.map((k) => e[k]).find((v) => typeof v === "string" && v !== "");
    return value === undefined ? [] : [`${label}=${String(value)}`];
  });
  return [`database error ${e.code}`, ...names].join(" ");
}

function failedQueryCause(e: FailedQuery): string {
  return `query failed: ${e.cause instanceof Error ? describeError(e.cause) : (codeOf(e.cause) ?? "unknown cause")}`;
}

/** A short, loggable description of anything thrown; a failed query gives its code and SQL, never its values. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // PGlite's server errors carry `query` and `params` too: they are server errors first.
  if (isServerError(e)) return serverError(e);
  if (isFailedQuery(e)) return `${failedQueryCause(e)}; sql: ${sqlText(e.query)}`;
  // A refused connection to a name with several addresses is an AggregateError with no message.
  return e.message || codeOf(e) || e.name;
}

/** The fields of a logged error. */
export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  /** The SQL text of a failed query (placeholders, no values). */
  sql?: string;
  stack?: string;
  cause?: LoggedError;
}

/**
 * An error as a log line carries it: the same safe message as `describeError`, the code, the stack
 * frames (its first line repeats the raw message, so it is rebuilt) and the cause, a few deep.
 */
export function loggableError(e: unknown, depth = 0): LoggedError {
  if (!(e instanceof Error)) return { type: typeof e, message: describeError(e) };
  const wrapper = isFailedQuery(e) && !isServerError(e);
  // The SQL text has a field of its own here.
  const message = wrapper ? failedQueryCause(e) : describeError(e);
  const type = e.name === "Error" ? e.constructor.name : e.name;
  const out: LoggedError = { type, message };
  const code = codeOf(e) ?? (wrapper ? codeOf(e.cause) : undefined);
  if (code !== undefined) out.code = code;
  const query = (e as { query?: unknown }).query;
  if (typeof query === "string") out.sql = sqlText(query);
  const frames = e.stack?.split("\n").filter((l) => /^\s+at /.test(l));
  if (frames && frames.length > 0) out.stack = [`${type}: ${message}`, ...frames].join("\n");
  // A failed query's description already names its cause.
  if (e.cause !== undefined && depth < 3 && !wrapper) out.cause = loggableError(e.cause, depth + 1);
  return out;
}
