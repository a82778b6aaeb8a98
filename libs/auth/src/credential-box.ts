import { hkdfSync } from "node:crypto";
import { AppError } from "@conclave/errors";
import { CompactEncrypt, compactDecrypt } from "jose";

/** Seals provider secrets for storage and opens them again; the key never leaves it. */
export interface CredentialBox {
  seal(owner: { accountId: string; provider: string }, secret: string): Promise<string>;
  open(owner: { accountId: string; provider: string }, sealed: string): Promise<string>;
}

const INFO = "conclave/provider-credentials/v1";

/**
 * A box keyed from the deployment's key encryption key (base64, 32 bytes). Its own key is derived
 * (HKDF-SHA256) so these ciphertexts and the signing keys' never share a key. Each secret is a JWE
 * (dir, A256GCM) that names its account and provider inside, so a row copied to another account
 * does not open there.
 */
export function createCredentialBox(keyEncryptionKey: string): CredentialBox {
  const ikm = Buffer.from(keyEncryptionKey, "base64");
  if (ikm.length !== 32) throw new AppError("internal", "the key encryption key must be 32 bytes");
  const key = new Uint8Array(hkdfSync("sha256", ikm, new Uint8Array(0), INFO, 32));
  return {
    async seal(owner, secret) {
      const plaintext = JSON.stringify({ a: owner.accountId, p: owner.provider, s: secret });
      return new CompactEncrypt(new TextEncoder().encode(plaintext))
        .setProtectedHeader({ alg: "dir", enc: "A256GCM", cty: "conclave-credential" })
        .encrypt(key);
    },
    async open(owner, sealed) {
      const { plaintext } = await compactDecrypt(sealed, key);
      const { a, p, s } = JSON.parse(new TextDecoder().decode(plaintext)) as {
        a: string;
        p: string;
        s: string;
      };
      if (a !== owner.accountId || p !== owner.provider)
        throw new AppError("internal", "a stored credential does not belong where it was found");
      return s;
    },
  };
}
