import { issueAccessToken } from "@conclave/auth";
import type { EdgeContext } from "../context.js";

export interface TokenPair {
  tokenType: "Bearer";
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
}

/** An access token for the session, next to its (new) refresh token. */
export async function tokenPair(
  ctx: EdgeContext,
  accountId: string,
  sessionId: string,
  refreshToken: string,
): Promise<TokenPair> {
  const { token, expiresIn } = await issueAccessToken(ctx.keys, ctx.tokens, { accountId, sessionId });
  return { tokenType: "Bearer", accessToken: token, expiresIn, refreshToken };
}
