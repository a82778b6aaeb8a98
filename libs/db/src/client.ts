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

/** How long a connection attempt may take before the query fails with CONNECT_TIMEOUT. */
const CONNECT_TIMEOUT_S = 5;
/** The pause before a closed connection dials again: short, so service resumes as soon as the server is back. */
const RECONNECT_DELAY_S = 0.2;
/** Idle connections close, so a long-idle pool does not hold sockets a restarted server dropped. */
const IDLE_TIMEOUT_S = 60;
/** No statement holds a request (or a consumer) for longer than this. */
const STATEMENT_TIMEOUT_MS = 60_000;

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
      // While the server is down, requests fail fast (the caller answers 503) instead of queueing:
      // postgres.js's default backoff grows to 20 s between attempts and holds every query meanwhile.
      connect_timeout: CONNECT_TIMEOUT_S,
      backoff: () => RECONNECT_DELAY_S,
      idle_timeout: IDLE_TIMEOUT_S,
      connection: { statement_timeout: STATEMENT_TIMEOUT_MS },
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
