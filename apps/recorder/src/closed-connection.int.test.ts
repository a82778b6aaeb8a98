import { type DbHandle, openDb, sql } from "@conclave/db";
import { createTestDatabase, type TestDatabase } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// PostgreSQL going away in the middle of a transaction (a restart, a failover, an operator ending the
// backend) must be an ordinary error for the caller, never a crash: postgres.js 3.4 wrote the
// transaction's rollback on the closed socket from a setImmediate, an uncaught TypeError that took
// the whole process down (scripts/patch-postgres.mjs guards it at install).

let db: TestDatabase;
let admin: DbHandle;
const uncaught: unknown[] = [];
const record = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  db = await createTestDatabase();
  admin = await openDb({ url: db.url, poolSize: 1 });
  process.on("uncaughtException", record);
});
afterAll(async () => {
  process.off("uncaughtException", record);
  await admin?.close();
  await db?.drop();
});

describe("a transaction whose connection dies", () => {
  it("rejects with a connection error, and nothing escapes as an uncaught exception", async () => {
    const errors: string[] = [];
    for (let i = 0; i < 5; i++) {
      // A fresh client each time: the point is the first write after the close, not reconnecting.
      const handle = await openDb({ url: db.url, poolSize: 1 });
      const failed = await handle.db
        .transaction(async (tx) => {
          const [row] = (await tx.execute("select pg_backend_pid() as pid")) as unknown as { pid: number }[];
          await admin.db.execute(sql`select pg_terminate_backend(${row?.pid ?? 0})`);
          await tx.execute("select 1");
        })
        .then(
          () => "no error",
          (e: unknown) =>
            String((e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code ?? e),
        );
      errors.push(failed);
      // The driver's deferred write runs on the next turn of the event loop.
      await new Promise((r) => setTimeout(r, 50));
      await handle.close().catch(() => undefined);
    }
    expect(uncaught).toEqual([]);
    expect(
      errors.every((e) => e !== "no error"),
      errors.join(", "),
    ).toBe(true);
  });
});
