import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import { and, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** Takes a person out of a group: owners remove anyone, anyone may leave; the last owner stays. */
export async function removeMember({
  ctx,
  principal,
  groupId,
  accountId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  accountId: string;
}): Promise<void> {
  const leaving = accountId === principal.accountId;
  requireScope(principal, "write");
  await requireGroupAccess(ctx.db, principal, groupId, leaving ? "read" : "manage");
  await ctx.db.transaction(async (tx) => {
    const people = await tx
      .select({ accountId: groupMembers.accountId, role: groupMembers.role })
      .from(groupMembers)
      .where(eq(groupMembers.groupId, groupId))
      .for("update");
    const target = people.find((p) => p.accountId === accountId);
    if (!target) throw new AppError("not_found", `no member ${accountId} in this group`);
    if (target.role === "owner" && people.filter((p) => p.role === "owner").length === 1)
      throw new AppError("conflict", "a group keeps at least one owner; delete the group instead", {
        fields: [{ path: "path.accountId", message: "the last owner" }],
      });
    await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, accountId)));
  });
}
