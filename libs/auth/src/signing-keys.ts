import { type Db, desc, gt, isNull, or, signingKeys } from "@conclave/db";
import { AppError } from "@conclave/errors";
import {
  CompactEncrypt,
  type CryptoKey,
  calculateJwkThumbprint,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from "jose";

export const TOKEN_ALG = "EdDSA";

export interface KeyStoreOptions {
  db: Db;
  /** 32 bytes that encrypt the private keys at rest (A256GCM). */
  encryptionKey: Uint8Array;
  /** How long a retired key still verifies (and is published): at least the access-token lifetime. */
  retiredKeyTtlMs: number;
  /** How long the key list is cached before it is read again (rotation reaches every replica by then). */
  cacheMs?: number;
}

/** The token signing keys of the deployment, shared by every replica through PostgreSQL. */
export interface KeyStore {
  /** The key new tokens are signed with; created on first use. */
  current(): Promise<{ kid: string; key: CryptoKey }>;
  /** The public key for a `kid`, if it is current or recently retired. */
  verificationKey(kid: string): Promise<CryptoKey | undefined>;
  /** The public keys to publish at /.well-known/jwks.json. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Makes a new current key; the old one keeps verifying until its tokens have expired. */
  rotate(): Promise<string>;
}

interface Loaded {
  at: number;
  current: { kid: string; key: CryptoKey } | undefined;
  publicKeys: Map<string, { jwk: JWK; key: CryptoKey }>;
}

export function createKeyStore(o: KeyStoreOptions): KeyStore {
  if (o.encryptionKey.length !== 32)
    throw new AppError("internal", "the key encryption key must be 32 bytes");
  const cacheMs = o.cacheMs ?? 30_000;
  let loaded: Promise<Loaded> | undefined;

  const load = async (): Promise<Loaded> => {
    const since = new Date(Date.now() - o.retiredKeyTtlMs);
    const rows = await o.db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, since)))
      .orderBy(desc(signingKeys.createdAt));
    const publicKeys = new Map<string, { jwk: JWK; key: CryptoKey }>();
    for (const r of rows)
      publicKeys.set(r.kid, {
        jwk: r.publicJwk as JWK,
        key: (await importJWK(r.publicJwk as JWK, TOKEN_ALG)) as CryptoKey,
      });
    const active = rows.find((r) => r.retiredAt === null);
    let current: Loaded["current"];
    if (active) {
      const { plaintext } = await compactDecrypt(active.privateJwkEncrypted, o.encryptionKey);
      const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
      current = { kid: active.kid, key: (await importJWK(jwk, TOKEN_ALG)) as CryptoKey };
    }
    return { at: Date.now(), current, publicKeys };
  };

  const get = async (fresh = false): Promise<Loaded> => {
    const l = loaded ? await loaded.catch(() => undefined) : undefined;
    if (!fresh && l && Date.now() - l.at < cacheMs) return l;
    loaded = load();
    return loaded;
  };

  const create = async (): Promise<string> => {
    const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALG, { crv: "Ed25519", extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = { ...(await exportJWK(privateKey)), kid };
    const encrypted = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(privateJwk)))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .encrypt(o.encryptionKey);
    await o.db.transaction(async (tx) => {
      await tx.update(signingKeys).set({ retiredAt: new Date() }).where(isNull(signingKeys.retiredAt));
      await tx.insert(signingKeys).values({
        kid,
        alg: TOKEN_ALG,
        publicJwk: { ...publicJwk, kid, alg: TOKEN_ALG, use: "sig" },
        privateJwkEncrypted: encrypted,
      });
    });
    return kid;
  };

  return {
    async current() {
      let l = await get();
      if (!l.current) {
        await create();
        l = await get(true);
      }
      if (!l.current) throw new AppError("internal", "no signing key after creating one");
      return l.current;
    },
    async verificationKey(kid) {
      let l = await get();
      // A key made by another replica since the last read: read again once.
      if (!l.publicKeys.has(kid)) l = await get(true);
      return l.publicKeys.get(kid)?.key;
    },
    async jwks() {
      const l = await get();
      return { keys: [...l.publicKeys.values()].map((k) => k.jwk) };
    },
    async rotate() {
      const kid = await create();
      await get(true);
      return kid;
    },
  };
}
