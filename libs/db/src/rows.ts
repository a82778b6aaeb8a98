import type { SQL } from "drizzle-orm";
import type { Db } from "./client.js";

/** Runs a raw statement and answers its rows on either driver (postgres.js answers rows, PGlite `{ rows }`). */
export async function queryRows<T>(db: Pick<Db, "execute">, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
