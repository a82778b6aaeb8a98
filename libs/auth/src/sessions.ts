import { accounts, and, type Db, eq, isNull, refreshTokens, sessions } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import { randomToken, sha256 } from "./crypto.js";

/** Starts a session (a refresh-token family) and returns its first refresh token. */
export async function createSession(
  db: Db,
  accountId: string,
  ttlMs: number,
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = newEventId();
  const refreshToken = randomToken();
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values({ id: sessionId, accountId, expiresAt: new Date(Date.now() + ttlMs) });
    await tx.insert(refreshTokens).values({ id: newEventId(), sessionId, tokenHash: sha256(refreshToken) });
  });
  return { sessionId, refreshToken };
}

/**
 * Exchanges a refresh token for the next one of its session. A token is good once: presenting a used
 * one means it was stolen or replayed, so the whole session is revoked.
 */
export async function rotateRefreshToken(
  db: Db,
  refreshToken: string,
): Promise<{ accountId: string; sessionId: string; refreshToken: string }> {
  const hash = sha256(refreshToken);
  const outcome = await db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(refreshTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.usedAt)))
      .returning({ sessionId: refreshTokens.sessionId });
    if (!claimed) {
      const [used] = await tx
        .select({ sessionId: refreshTokens.sessionId })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, hash));
      return used ? ({ kind: "reuse", sessionId: used.sessionId } as const) : ({ kind: "unknown" } as const);
    }
    const [row] = await tx
      .select({
        accountId: sessions.accountId,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
        disabledAt: accounts.disabledAt,
      })
      .from(sessions)
      .innerJoin(accounts, eq(accounts.id, sessions.accountId))
      .where(eq(sessions.id, claimed.sessionId));
    if (!row || row.revokedAt || row.expiresAt < new Date() || row.disabledAt)
      return { kind: "ended" } as const;
    const next = randomToken();
    await tx
      .insert(refreshTokens)
      .values({ id: newEventId(), sessionId: claimed.sessionId, tokenHash: sha256(next) });
    return {
      kind: "ok",
      accountId: row.accountId,
      sessionId: claimed.sessionId,
      refreshToken: next,
    } as const;
  });
  switch (outcome.kind) {
    case "ok":
      return outcome;
    case "reuse":
      await revokeSession(db, outcome.sessionId, "refresh token reused");
      throw new AppError("unauthorized", "refresh token already used; the session has been revoked");
    case "unknown":
    case "ended":
      throw new AppError("unauthorized", "invalid refresh token");
  }
}

export async function revokeSession(db: Db, sessionId: string, reason: string): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Ends every session of an account (logout everywhere): their access tokens stop working at once. */
export async function revokeAllSessions(db: Db, accountId: string, reason: string): Promise<number> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.accountId, accountId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

/** The session id a refresh token belongs to, if any (for logout by refresh token). */
export async function sessionOfRefreshToken(db: Db, refreshToken: string): Promise<string | undefined> {
  const [row] = await db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, sha256(refreshToken)));
  return row?.sessionId;
}
