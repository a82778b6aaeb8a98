import { accounts, type Db } from "@conclave/db";
import { describeError } from "@conclave/errors";
import { onError } from "@conclave/http";
import { type BothDatabases, capturingLogger, openBothDatabases } from "@conclave/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Values a failed query carries in its parameters and in the server's `detail`.
const SECRET_EMAIL = "sk-live-4f9d2c@example.com";
const SECRET_HASH = "argon2id$v=19$m=65536$do-not-log-me";

let dbs: BothDatabases;
beforeAll(async () => {
  dbs = await openBothDatabases();
});
afterAll(async () => {
  await dbs?.close();
});

/** Runs a query that fails and returns what it threw. */
async function failedQuery(db: Db, kind: "bad uuid" | "duplicate"): Promise<unknown> {
  const row = { id: "0190d1f0-0000-7000-8000-000000000001", email: SECRET_EMAIL, passwordHash: SECRET_HASH };
  if (kind === "duplicate") await db.insert(accounts).values(row).onConflictDoNothing();
  const values = kind === "bad uuid" ? { ...row, id: `not-a-uuid-${SECRET_HASH}` } : row;
  return db
    .insert(accounts)
    .values(values)
    .then(() => undefined)
    .catch((e: unknown) => e);
}

describe.each(["postgres", "pglite"] as const)("a failed query on %s, logged", (driver) => {
  it.each(["bad uuid", "duplicate"] as const)("keeps no parameter value (%s)", async (kind) => {
    const db = dbs.handles[driver].db;
    const err = await failedQuery(db, kind);
    expect(err).toBeInstanceOf(Error);
    const { log, lines } = capturingLogger("edge");
    log.error({ err }, "whole error");
    log.error(err as Error, "error as first argument");
    log.warn({ err: (err as Error).message }, "someone's e.message");
    log.warn({ err: describeError(err) }, "described");
    // The edge's error handler, as a route that hits the failing query answers it.
    const app = new Hono();
    app.onError(onError(log));
    app.get("/x", async () => {
      throw await failedQuery(db, kind);
    });
    expect((await app.request("/x")).status).toBe(500);

    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).not.toContain(SECRET_EMAIL);
      expect(line).not.toContain(SECRET_HASH);
      expect(line).not.toContain("params:");
    }
    // What is left still says which query failed, and why.
    const whole = JSON.parse(lines[0] ?? "{}") as { err: { code?: string; sql?: string; message: string } };
    expect(whole.err.code).toBe(kind === "duplicate" ? "23505" : "22P02");
    expect(whole.err.sql).toMatch(/^insert into "accounts"/);
    expect(whole.err.message).toContain(kind === "duplicate" ? "23505" : "22P02");
    expect(lines[4]).toContain('"path":"/x"');
  });
});
