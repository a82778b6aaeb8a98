import { and, apiKeys, type Db, desc, eq, isNull, type WidgetTheme } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { insertKey } from "./api-keys.js";

export interface WidgetKeyView {
  id: string;
  name: string;
  prefix: string;
  groupId: string;
  origins: string[];
  theme: WidgetTheme;
  rateLimitPerMinute: number | null;
  lastUsedAt: string | null;
  createdAt: string;
}

const view = (r: typeof apiKeys.$inferSelect): WidgetKeyView => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  groupId: r.groupId ?? "",
  origins: r.origins ?? [],
  theme: r.theme ?? {},
  rateLimitPerMinute: r.rateLimitPerMinute,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/** Creates a widget key for a group; like any key, the returned `key` is the only time it is shown. */
export async function createWidgetKey(
  db: Db,
  input: {
    accountId: string;
    groupId: string;
    name: string;
    origins: string[];
    theme: WidgetTheme;
    rateLimitPerMinute?: number;
  },
): Promise<WidgetKeyView & { key: string }> {
  const { row, key } = await insertKey(db, {
    accountId: input.accountId,
    name: input.name,
    scopes: [],
    kind: "widget",
    groupId: input.groupId,
    origins: [...new Set(input.origins)],
    theme: input.theme,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
  });
  return { ...view(row), key };
}

const ofGroup = (groupId: string) =>
  and(eq(apiKeys.kind, "widget"), eq(apiKeys.groupId, groupId), isNull(apiKeys.revokedAt));

/** The group's live widget keys, newest first (no secrets). */
export async function listWidgetKeys(db: Db, groupId: string): Promise<WidgetKeyView[]> {
  const rows = await db.select().from(apiKeys).where(ofGroup(groupId)).orderBy(desc(apiKeys.createdAt));
  return rows.map(view);
}

/** One of the group's live widget keys; 404 when it is not the group's (or revoked). */
export async function getWidgetKey(db: Db, groupId: string, id: string): Promise<WidgetKeyView> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), ofGroup(groupId)));
  if (!row) throw new AppError("not_found", `no widget key ${id}`);
  return view(row);
}

/** Revokes one of the group's widget keys; 404 when it is not the group's (or already revoked). */
export async function revokeWidgetKey(db: Db, groupId: string, id: string): Promise<void> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), ofGroup(groupId)))
    .returning({ id: apiKeys.id });
  if (rows.length === 0) throw new AppError("not_found", `no widget key ${id}`);
}
