/** Socket errors of a server that is down, restarting or out of reach (Node's codes). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** postgres.js's own codes for a connection that could not be made or was lost. */
const DRIVER_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
]);

/** SQLSTATEs of a server that cannot serve now: shutting down, starting up, crashed, or full. */
const SERVER_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Whether an error (or one it wraps: drizzle's query error, an AggregateError of several
 * addresses) says the database cannot be reached right now, by its codes, never its text.
 */
export function isDatabaseUnreachable(e: unknown, depth = 0): boolean {
  if (depth > 4 || e === null || typeof e !== "object") return false;
  const code = codeOf(e);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || DRIVER_CODES.has(code) || SERVER_CODES.has(code)) return true;
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (e instanceof AggregateError && e.errors.some((x) => isDatabaseUnreachable(x, depth + 1))) return true;
  return isDatabaseUnreachable((e as { cause?: unknown }).cause, depth + 1);
}
