import {
  type Principal,
  revokeAllSessions,
  revokeSession,
  rotateRefreshToken,
  sessionOfRefreshToken,
} from "@conclave/auth";
import { accounts, eq } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { type TokenPair, tokenPair } from "./issue-tokens.js";

/** Exchanges a refresh token for a new pair; a reused token revokes its whole session. */
export async function refreshSession({
  ctx,
  refreshToken,
}: {
  ctx: EdgeContext;
  refreshToken: string;
}): Promise<TokenPair> {
  const next = await rotateRefreshToken(ctx.db, refreshToken).catch(async (e: unknown) => {
    if (e instanceof AppError && /already used/.test(e.message)) {
      ctx.log.warn("refresh token reuse: session revoked");
      const sessionId = await sessionOfRefreshToken(ctx.db, refreshToken);
      if (sessionId) await ctx.caches.changed({ kind: "session", sessionId });
    }
    throw e;
  });
  return tokenPair(ctx, next.accountId, next.sessionId, next.refreshToken);
}

/** Ends one session: the caller's own (by access token), or the one a refresh token belongs to. */
export async function logout({
  ctx,
  principal,
  refreshToken,
}: {
  ctx: EdgeContext;
  principal?: Principal;
  refreshToken?: string;
}): Promise<void> {
  const sessionId = refreshToken ? await sessionOfRefreshToken(ctx.db, refreshToken) : principal?.sessionId;
  if (!sessionId) return;
  await revokeSession(ctx.db, sessionId, "logout");
  await ctx.caches.changed({ kind: "session", sessionId });
}

/** Ends every session of the caller's account. */
export async function logoutAll({
  ctx,
  principal,
}: {
  ctx: EdgeContext;
  principal: Principal;
}): Promise<{ sessionsEnded: number }> {
  if (principal.via !== "token")
    throw new AppError("forbidden", "logout-all needs a signed-in person, not an api key");
  const sessionsEnded = await revokeAllSessions(ctx.db, principal.accountId, "logout-all");
  await ctx.caches.changed({ kind: "account", accountId: principal.accountId });
  return { sessionsEnded };
}

/** The caller's account. */
export async function getMe({ ctx, principal }: { ctx: EdgeContext; principal: Principal }) {
  const [a] = await ctx.db.select().from(accounts).where(eq(accounts.id, principal.accountId));
  if (!a) throw new AppError("unauthorized", "account gone");
  return {
    id: a.id,
    email: a.email,
    role: a.role,
    createdAt: a.createdAt.toISOString(),
    via: principal.via,
    scopes: [...principal.scopes],
  };
}
