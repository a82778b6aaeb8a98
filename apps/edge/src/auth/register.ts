import { createSession, hashPassword } from "@conclave/auth";
import { accounts } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { type TokenPair, tokenPair } from "./issue-tokens.js";
import type { Credentials } from "./schemas.js";

/** Creates an account (argon2id password hash) and signs it in. */
export async function register({
  ctx,
  input,
}: {
  ctx: EdgeContext;
  input: Credentials;
}): Promise<{ account: { id: string; email: string; role: string } } & TokenPair> {
  const passwordHash = await hashPassword(input.password);
  const id = newEventId();
  const inserted = await ctx.db
    .insert(accounts)
    .values({ id, email: input.email, passwordHash })
    .onConflictDoNothing({ target: accounts.email })
    .returning({ id: accounts.id, role: accounts.role });
  const row = inserted[0];
  if (!row)
    throw new AppError("conflict", "an account with this email exists", {
      fields: [{ path: "body.email", message: "already registered" }],
    });
  const session = await createSession(ctx.db, id, ctx.config.REFRESH_TOKEN_TTL_S * 1000);
  ctx.log.info({ accountId: id }, "account registered");
  return {
    account: { id, email: input.email, role: row.role },
    ...(await tokenPair(ctx, id, session.sessionId, session.refreshToken)),
  };
}
