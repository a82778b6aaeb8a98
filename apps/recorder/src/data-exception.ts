/**
 * The PostgreSQL data exception (SQLSTATE class 22: a value the column cannot hold) in `e`'s cause
 * chain (drizzle wraps the driver's error), if any. Retrying one can never succeed. Its message is
 * the server's own, one line and without the query's parameters.
 */
export function dataExceptionOf(e: unknown): { code: string; message: string } | undefined {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code))
      return { code, message: cur.message.split("\n")[0] ?? code };
  }
  return undefined;
}
