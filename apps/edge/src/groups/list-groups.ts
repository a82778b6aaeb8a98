import { type Principal, requireScope } from "@conclave/auth";
import { and, desc, eq, groupMembers, groups, lt } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import type { ListGroupsQuery } from "./schemas.js";

/** The groups the caller belongs to, newest first, a page at a time. */
export async function listGroups({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: ListGroupsQuery;
}) {
  requireScope(principal, "read");
  const rows = await ctx.db
    .select({
      id: groups.id,
      name: groups.name,
      description: groups.description,
      strategy: groups.strategy,
      createdAt: groups.createdAt,
      role: groupMembers.role,
    })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(
      and(
        eq(groupMembers.accountId, principal.accountId),
        input.cursor ? lt(groups.id, input.cursor) : undefined,
      ),
    )
    // Ids are UUIDv7: their order is their creation order, and a stable cursor.
    .orderBy(desc(groups.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
