import { type Principal, requireGroupAccess } from "@conclave/auth";
import { eq, groups } from "@conclave/db";
import type { EdgeContext } from "../context.js";

/**
 * Deletes a group, its memberships and seats, and its memory (blocks, window, summary); owners
 * only. The agents stay in their owners' accounts. Its recorded history is left to retention
 * (nobody can reach it any more).
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
  await ctx.caches.changed({ kind: "group", groupId });
  // After the rows: a group that could not be deleted keeps its memory. Nobody can reach a record
  // left behind (bus down), so that is logged, not refused.
  await ctx.memory
    .forget(groupId)
    .catch((err: unknown) => ctx.log.warn({ err, groupId }, "memory of a deleted group not deleted"));
  ctx.log.info({ groupId }, "group deleted");
}
