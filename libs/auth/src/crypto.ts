import { createHash, randomBytes } from "node:crypto";

/** SHA-256 in hex: for high-entropy secrets (refresh tokens, API keys), where a slow hash adds nothing. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A random, URL-safe secret of `bytes` bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
