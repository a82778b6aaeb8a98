import { randomBytes } from "node:crypto";
import { and, apiKeys, type Db, desc, eq, isNull } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import { randomToken, sha256 } from "./crypto.js";
import type { Scope } from "./principal.js";

/** API keys look like `ck_<8 hex>_<secret>`: the prefix identifies a key in lists, the whole is the secret. */
export const API_KEY_PATTERN = /^ck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rateLimitPerMinute: number | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

const view = (r: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  rateLimitPerMinute: r.rateLimitPerMinute,
  expiresAt: r.expiresAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/** What a new key's row holds besides its id, prefix and hash (standard and widget keys alike). */
type NewKeyRow = Omit<typeof apiKeys.$inferInsert, "id" | "prefix" | "keyHash">;

/**
 * Stores a new key of any kind: a fresh `ck_<prefix>_<secret>`, kept only as its hash. Returns the
 * row and the secret, which is never shown again.
 */
export async function insertKey(
  db: Db,
  values: NewKeyRow,
): Promise<{ row: typeof apiKeys.$inferSelect; key: string }> {
  const prefix = randomBytes(4).toString("hex");
  const key = `ck_${prefix}_${randomToken(32)}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ ...values, id: newEventId(), prefix, keyHash: sha256(key) })
    .returning();
  if (!row) throw new AppError("internal", `${values.kind ?? "api"} key not stored`);
  return { row, key };
}

/** Creates a key; the returned `key` is the only time the secret is ever shown. */
export async function createApiKey(
  db: Db,
  input: { accountId: string; name: string; scopes: Scope[]; expiresAt?: Date; rateLimitPerMinute?: number },
): Promise<ApiKeyView & { key: string }> {
  const { row, key } = await insertKey(db, {
    accountId: input.accountId,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    expiresAt: input.expiresAt ?? null,
  });
  return { ...view(row), key };
}

export async function listApiKeys(db: Db, accountId: string): Promise<ApiKeyView[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), eq(apiKeys.kind, "standard"), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
  return rows.map(view);
}

/** Revokes one of the account's keys; 404 when it is not theirs (or already revoked). Widget keys are their group's to revoke. */
export async function revokeApiKey(db: Db, accountId: string, id: string): Promise<void> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(apiKeys.id, id),
        eq(apiKeys.accountId, accountId),
        eq(apiKeys.kind, "standard"),
        isNull(apiKeys.revokedAt),
      ),
    )
    .returning({ id: apiKeys.id });
  if (rows.length === 0) throw new AppError("not_found", `no api key ${id}`);
}
