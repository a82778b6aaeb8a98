import type { Db } from "@conclave/db";
import { createKeyStore, type KeyStore } from "./signing-keys.js";
import type { TokenSettings } from "./tokens.js";

/** The auth variables every credential-checking app shares (see `authEnv` in the config lib). */
export interface AuthSettings {
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  ACCESS_TOKEN_TTL_S: number;
  KEY_ENCRYPTION_KEY: string;
  SIGNING_KEYS_CACHE_MS: number;
}

/** The deployment's signing keys; a retired key keeps verifying for twice the access-token lifetime. */
export function keyStoreFrom(db: Db, s: AuthSettings): KeyStore {
  return createKeyStore({
    db,
    encryptionKey: Buffer.from(s.KEY_ENCRYPTION_KEY, "base64"),
    retiredKeyTtlMs: s.ACCESS_TOKEN_TTL_S * 2000,
    cacheMs: s.SIGNING_KEYS_CACHE_MS,
  });
}

export function tokenSettingsFrom(s: AuthSettings): TokenSettings {
  return { issuer: s.AUTH_ISSUER, audience: s.AUTH_AUDIENCE, accessTtlSeconds: s.ACCESS_TOKEN_TTL_S };
}
