import { setTimeout as sleep } from "node:timers/promises";
import { createSession, verifyPassword } from "@conclave/auth";
import { accounts, eq } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { type TokenPair, tokenPair } from "./issue-tokens.js";
import type { Credentials } from "./schemas.js";

const INVALID = "invalid email or password";

/**
 * Signs in with email and password. A wrong password and an unknown email take the same time and
 * get the same answer. Repeated failures from one address or for one account are slowed, then
 * blocked for the rest of the window.
 */
export async function login({
  ctx,
  input,
  clientIp,
}: {
  ctx: EdgeContext;
  input: Credentials;
  clientIp: string;
}): Promise<TokenPair> {
  const keys = [`login-ip:${clientIp}`, `login-account:${input.email}`];
  // Without the shared counters, a login cannot be throttled: refuse it rather than allow guessing.
  if (!ctx.busUp())
    throw new AppError("unavailable", "sign-in is unavailable; retry later", { retryAfterSeconds: 5 });
  const seen = await Promise.all(keys.map((k) => ctx.limiter.failures(k)));
  const worst = seen.reduce((a, b) => (b.count > a.count ? b : a));
  if (worst.count >= ctx.config.LOGIN_BLOCK_AFTER) {
    const retryAfterSeconds = Math.max(1, Math.ceil((worst.windowEndsAt - Date.now()) / 1000));
    throw new AppError("rate_limited", "too many failed logins; try again later", { retryAfterSeconds });
  }
  if (worst.count >= ctx.config.LOGIN_SLOW_AFTER) {
    await sleep(Math.min(5000, 250 * 2 ** (worst.count - ctx.config.LOGIN_SLOW_AFTER)));
  }
  const [account] = await ctx.db.select().from(accounts).where(eq(accounts.email, input.email));
  const ok = await verifyPassword(account?.passwordHash, input.password);
  if (!account || !ok || account.disabledAt) {
    await Promise.all(keys.map((k) => ctx.limiter.recordFailure(k, ctx.config.LOGIN_WINDOW_S * 1000)));
    ctx.log.warn({ clientIp, known: Boolean(account) }, "failed login");
    throw new AppError("unauthorized", INVALID);
  }
  await ctx.limiter.clearFailures(`login-account:${input.email}`);
  const session = await createSession(ctx.db, account.id, ctx.config.REFRESH_TOKEN_TTL_S * 1000);
  return tokenPair(ctx, account.id, session.sessionId, session.refreshToken);
}
