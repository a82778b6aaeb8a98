/**
 * True for a PostgreSQL data exception (SQLSTATE class 22: a value the column cannot hold), found
 * anywhere in the cause chain (drizzle wraps the driver's error). Retrying it can never succeed.
 */
export function isDataException(e: unknown): boolean {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
