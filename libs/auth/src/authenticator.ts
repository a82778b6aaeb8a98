import { accounts, apiKeys, type Db, eq, sessions } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { API_KEY_PATTERN } from "./api-keys.js";
import { sha256 } from "./crypto.js";
import { type Principal, type Scope, userScopes } from "./principal.js";
import type { KeyStore } from "./signing-keys.js";
import { type TokenSettings, verifyAccessToken } from "./tokens.js";

/** Turns a bearer credential (access token or API key) into a principal, or throws 401. */
export interface Authenticator {
  authenticate(bearer: string): Promise<Principal>;
  /** Reads `Authorization: Bearer …`; throws 401 when it is missing or malformed. */
  fromHeader(authorization: string | undefined): Promise<Principal>;
}

const LAST_USED_EVERY_MS = 60_000;

export function createAuthenticator(deps: { db: Db; keys: KeyStore; tokens: TokenSettings }): Authenticator {
  const { db } = deps;

  const viaApiKey = async (key: string): Promise<Principal> => {
    const [row] = await db
      .select({ key: apiKeys, role: accounts.role, disabledAt: accounts.disabledAt })
      .from(apiKeys)
      .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
      .where(eq(apiKeys.keyHash, sha256(key)));
    const now = new Date();
    if (!row || row.key.revokedAt || row.disabledAt || (row.key.expiresAt && row.key.expiresAt <= now)) {
      throw new AppError("unauthorized", "invalid api key");
    }
    if (!row.key.lastUsedAt || now.getTime() - row.key.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
      await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.key.id));
    }
    if (row.key.kind === "widget") {
      if (!row.key.groupId || !row.key.origins) throw new AppError("unauthorized", "invalid api key");
      return {
        accountId: row.key.accountId,
        accountRole: row.role,
        via: "api_key",
        scopes: new Set<Scope>(),
        apiKeyId: row.key.id,
        widget: { groupId: row.key.groupId, origins: row.key.origins },
        ...(row.key.rateLimitPerMinute ? { rateLimitPerMinute: row.key.rateLimitPerMinute } : {}),
      };
    }
    // An admin-scoped key of a non-admin account is still only a member's key.
    const scopes = new Set<Scope>(row.key.scopes.filter((s) => s !== "admin" || row.role === "admin"));
    return {
      accountId: row.key.accountId,
      accountRole: row.role,
      via: "api_key",
      scopes,
      apiKeyId: row.key.id,
      ...(row.key.rateLimitPerMinute ? { rateLimitPerMinute: row.key.rateLimitPerMinute } : {}),
      ...(row.key.expiresAt ? { expiresAt: row.key.expiresAt.getTime() } : {}),
    };
  };

  const viaToken = async (token: string): Promise<Principal> => {
    const claims = await verifyAccessToken(deps.keys, deps.tokens, token);
    const [row] = await db
      .select({
        accountId: sessions.accountId,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
        role: accounts.role,
        disabledAt: accounts.disabledAt,
      })
      .from(sessions)
      .innerJoin(accounts, eq(accounts.id, sessions.accountId))
      .where(eq(sessions.id, claims.sessionId));
    if (
      !row ||
      row.accountId !== claims.accountId ||
      row.revokedAt ||
      row.disabledAt ||
      row.expiresAt <= new Date()
    ) {
      throw new AppError("unauthorized", "session ended");
    }
    return {
      accountId: row.accountId,
      accountRole: row.role,
      via: "token",
      scopes: userScopes(row.role),
      sessionId: claims.sessionId,
      expiresAt: Math.min(claims.expiresAt, row.expiresAt.getTime()),
    };
  };

  const authenticate = (bearer: string) =>
    API_KEY_PATTERN.test(bearer) ? viaApiKey(bearer) : viaToken(bearer);

  return {
    authenticate,
    async fromHeader(authorization) {
      const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
      if (!m?.[1]) throw new AppError("unauthorized", "missing bearer credential");
      return authenticate(m[1]);
    },
  };
}
