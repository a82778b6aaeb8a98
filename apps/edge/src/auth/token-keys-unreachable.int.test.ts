import { createKeyStore, issueAccessToken, verifyAccessToken } from "@conclave/auth";
import { openDb } from "@conclave/db";
import { isAppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import { createTestDatabase } from "@conclave/testing";
import { describe, expect, it } from "vitest";

const settings = { issuer: "conclave", audience: "conclave-api", accessTtlSeconds: 60 };

describe("an access token whose signing keys cannot be read", () => {
  it("is not called invalid (a 401): the database's error goes on to become a 503", async () => {
    const database = await createTestDatabase();
    const db = await openDb({ url: database.url, poolSize: 1 });
    try {
      // No cache: every verification reads the keys, as one does once the 30 s cache runs out.
      const keys = createKeyStore({
        db: db.db,
        encryptionKey: new Uint8Array(32).fill(7),
        retiredKeyTtlMs: 3600_000,
        cacheMs: 0,
      });
      const { token } = await issueAccessToken(keys, settings, {
        accountId: newEventId(),
        sessionId: newEventId(),
      });
      await expect(verifyAccessToken(keys, settings, token)).resolves.toHaveProperty("sessionId");
      await expect(verifyAccessToken(keys, settings, "not.a.token")).rejects.toMatchObject({
        code: "unauthorized",
      });
      await db.close();
      const failure = await verifyAccessToken(keys, settings, token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(Error);
      expect(isAppError(failure) && failure.code === "unauthorized").toBe(false);
    } finally {
      await db.close().catch(() => undefined);
      await database.drop();
    }
  });
});
