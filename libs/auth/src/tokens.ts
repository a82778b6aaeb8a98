import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import { errors, jwtVerify, SignJWT } from "jose";
import { type KeyStore, TOKEN_ALG } from "./signing-keys.js";

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

export interface AccessClaims {
  accountId: string;
  sessionId: string;
}

/** What a verified access token says: its claims, and when it expires (epoch ms). */
export interface VerifiedAccess extends AccessClaims {
  expiresAt: number;
}

/** Signs a short-lived access token for a session (EdDSA, with `kid`, `iss`, `aud`, `exp`). */
export async function issueAccessToken(
  keys: KeyStore,
  s: TokenSettings,
  c: AccessClaims,
): Promise<{ token: string; expiresIn: number }> {
  const { kid, key } = await keys.current();
  const token = await new SignJWT({ sid: c.sessionId })
    .setProtectedHeader({ alg: TOKEN_ALG, kid, typ: "at+jwt" })
    .setSubject(c.accountId)
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setIssuedAt()
    .setJti(newEventId())
    .setExpirationTime(`${s.accessTtlSeconds}s`)
    .sign(key);
  return { token, expiresIn: s.accessTtlSeconds };
}

/**
 * Verifies an access token: the algorithm is pinned (so `alg: none` and HMAC tricks fail), the key is
 * looked up by `kid` among current and recently retired keys, and `iss`, `aud`, `exp` must match.
 */
export async function verifyAccessToken(
  keys: KeyStore,
  s: TokenSettings,
  token: string,
): Promise<VerifiedAccess> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid ? await keys.verificationKey(header.kid) : undefined;
        if (!key) throw new AppError("unauthorized", "token signed by an unknown key");
        return key;
      },
      {
        algorithms: [TOKEN_ALG],
        issuer: s.issuer,
        audience: s.audience,
        requiredClaims: ["exp", "sub", "iat"],
        typ: "at+jwt",
      },
    );
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.exp !== "number")
      throw new AppError("unauthorized", "token lacks its subject, session or expiry");
    return { accountId: payload.sub, sessionId: payload.sid, expiresAt: payload.exp * 1000 };
  } catch (e) {
    // Only a token's own fault is a 401: a key store that could not be read (database down) is not.
    if (e instanceof AppError || !(e instanceof errors.JOSEError)) throw e;
    throw new AppError("unauthorized", e instanceof errors.JWTExpired ? "token expired" : "invalid token", {
      cause: e,
    });
  }
}
