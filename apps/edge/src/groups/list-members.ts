import { type Principal, requireGroupAccess } from "@conclave/auth";
import { accounts, asc, eq, groupMembers } from "@conclave/db";
import type { EdgeContext } from "../context.js";

/** The people of a group and their roles, in the order they joined. */
export async function listMembers({
  ctx,
  principal,
  groupId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
}) {
  await requireGroupAccess(ctx.db, principal, groupId, "read");
  const items = await ctx.db
    .select({ accountId: groupMembers.accountId, email: accounts.email, role: groupMembers.role })
    .from(groupMembers)
    .innerJoin(accounts, eq(accounts.id, groupMembers.accountId))
    .where(eq(groupMembers.groupId, groupId))
    .orderBy(asc(groupMembers.createdAt), asc(groupMembers.accountId));
  return { items };
}
