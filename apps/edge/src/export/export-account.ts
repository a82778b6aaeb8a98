import { type Principal, requireScope } from "@conclave/auth";
import { accounts, agents, and, apiKeys, asc, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { agentView } from "../agents/agent-row.js";
import type { EdgeContext } from "../context.js";
import { assertJsonFits, type ExportPlan, withEnd } from "./export-plan.js";
import { type GroupExtent, groupExtent, groupRecords } from "./group-records.js";
import type { ExportQuery, ExportRecord } from "./schemas.js";

/**
 * Plans the export of the caller's account: the account (no password hash), its agents, its API
 * keys' metadata (no secret, revoked ones too) and every group it owns, each as a group export.
 * Provider credentials are never exported. An API key needs the admin scope, as listing keys does.
 */
export async function exportAccount({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ExportQuery;
}): Promise<ExportPlan> {
  requireScope(principal, "read");
  if (principal.via === "api_key") requireScope(principal, "admin");
  const { db } = ctx;
  const me = principal.accountId;
  const owned = await db
    .select({ groupId: groupMembers.groupId })
    .from(groupMembers)
    .where(and(eq(groupMembers.accountId, me), eq(groupMembers.role, "owner")))
    .orderBy(asc(groupMembers.groupId));
  const extents: GroupExtent[] = [];
  for (const g of owned) extents.push(await groupExtent(ctx, g.groupId));
  assertJsonFits(ctx.config, input.format, extents);

  async function* records(): AsyncGenerator<ExportRecord> {
    const [account] = await db.select().from(accounts).where(eq(accounts.id, me));
    if (!account) throw new AppError("not_found", "no such account");
    yield {
      kind: "account",
      id: account.id,
      email: account.email,
      role: account.role,
      createdAt: account.createdAt.toISOString(),
      disabledAt: account.disabledAt?.toISOString() ?? null,
    };
    // An account's agents are bounded (MAX_AGENTS_PER_ACCOUNT), and so are its keys in practice.
    const mine = await db.select().from(agents).where(eq(agents.accountId, me)).orderBy(asc(agents.id));
    for (const a of mine) yield { kind: "agent", ...agentView(a) };
    const keys = await db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        prefix: apiKeys.prefix,
        scopes: apiKeys.scopes,
        rateLimitPerMinute: apiKeys.rateLimitPerMinute,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
        lastUsedAt: apiKeys.lastUsedAt,
        createdAt: apiKeys.createdAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.accountId, me))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    for (const k of keys)
      yield {
        kind: "api_key",
        ...k,
        expiresAt: iso(k.expiresAt),
        revokedAt: iso(k.revokedAt),
        lastUsedAt: iso(k.lastUsedAt),
        createdAt: k.createdAt.toISOString(),
      };
    for (const extent of extents) yield* groupRecords(ctx, me, extent);
  }

  return {
    scope: "account",
    id: me,
    format: input.format,
    exportedAt: new Date().toISOString(),
    records: () => withEnd(records()),
  };
}
