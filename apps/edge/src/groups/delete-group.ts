import { type Principal, requireGroupAccess } from "@conclave/auth";
import { eq, groups } from "@conclave/db";
import type { EdgeContext } from "../context.js";

/**
 * Deletes a group, its memberships and seats; owners only. The agents stay in their owners'
 * accounts. Its recorded history is left to retention (nobody can reach it any more).
 */
export async function deleteGroup({
  ctx,
  principal,
  groupId,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
}): Promise<void> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  await ctx.db.delete(groups).where(eq(groups.id, groupId));
  ctx.log.info({ groupId }, "group deleted");
}
