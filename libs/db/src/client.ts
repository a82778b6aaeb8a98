import { fileURLToPath } from "node:url";
import type { Logger } from "@conclave/log";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** A drizzle database on either driver; services take this and never know which. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  readonly db: Db;
  readonly kind: "postgres" | "pglite";
  /** Applies the committed migrations in `drizzle/`. */
  migrate(): Promise<void>;
  /** A cheap round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL("../../../drizzle", import.meta.url));

/** Opens PostgreSQL at `url`, or an embedded PGlite in `pgliteDir` when no url is given. */
export async function openDb(options: {
  url?: string;
  pgliteDir?: string;
  poolSize?: number;
  log?: Logger;
}): Promise<DbHandle> {
  if (options.url) {
    const sql = postgres(options.url, {
      max: options.poolSize ?? 10,
      onnotice: () => undefined,
      connect_timeout: 10,
    });
    const db = drizzlePostgres(sql, { schema });
    return {
      db,
      kind: "postgres",
      migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS }),
      ping: async () => {
        await sql`select 1`;
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const client = await PGlite.create(options.pgliteDir ?? "memory://");
  const db = drizzlePglite(client, { schema });
  return {
    db,
    kind: "pglite",
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS }),
    ping: async () => {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}
