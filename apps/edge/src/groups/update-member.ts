import { type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { and, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** Changes a member's role; owners only, and never their own (a group keeps an owner). */
export async function updateMember({
  ctx,
  principal,
  groupId,
  accountId,
  role,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  accountId: string;
  role: GroupRole;
}): Promise<{ groupId: string; accountId: string; role: GroupRole }> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  if (accountId === principal.accountId)
    throw new AppError("conflict", "owners cannot change their own role", {
      fields: [{ path: "path.accountId", message: "that is you" }],
    });
  const updated = await ctx.db
    .update(groupMembers)
    .set({ role })
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, accountId)))
    .returning({ accountId: groupMembers.accountId });
  if (updated.length === 0) throw new AppError("not_found", `no member ${accountId} in this group`);
  return { groupId, accountId, role };
}
