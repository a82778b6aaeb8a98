import { randomBytes } from "node:crypto";
import { type DbHandle, openDb } from "@conclave/db";
import postgres from "postgres";
import { testEnv } from "./env.js";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database of this test's own on the shared server (or on `adminUrl`'s). */
export async function createTestDatabase(adminUrl = testEnv.TEST_PG_ADMIN_URL): Promise<TestDatabase> {
  const name = `conclave_test_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDb({ url: url.toString(), poolSize: 1 });
  await handle.migrate();
  await handle.close();
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Both drivers a database behaviour must hold on: a fresh PostgreSQL database and an in-memory PGlite, migrated. */
export interface BothDatabases {
  handles: { postgres: DbHandle; pglite: DbHandle };
  close(): Promise<void>;
}

export async function openBothDatabases(): Promise<BothDatabases> {
  const pg = await createTestDatabase();
  const postgresHandle = await openDb({ url: pg.url, poolSize: 2 });
  const pglite = await openDb({});
  await pglite.migrate();
  return {
    handles: { postgres: postgresHandle, pglite },
    async close() {
      await postgresHandle.close();
      await pglite.close();
      await pg.drop();
    },
  };
}
