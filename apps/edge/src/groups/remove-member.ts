import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import { and, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { assertKeepsOwner, logUnseated, peopleOf, recheckAccess, unseatAgentsOf } from "./membership.js";
import { lockGroup } from "./roster.js";

/**
 * Takes a person out of a group: owners remove anyone, anyone may leave; the last owner stays.
 * Their agents leave the group with them, in the same transaction.
 */
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
  const action = leaving ? "read" : "manage";
  await requireGroupAccess(ctx.db, principal, groupId, action);
  const unseated = await ctx.db.transaction(async (tx) => {
    await lockGroup(tx, groupId);
    const people = await peopleOf(tx, groupId);
    if (!people.some((p) => p.accountId === accountId))
      throw new AppError("not_found", `no member ${accountId} in this group`);
    assertKeepsOwner(people, accountId, null, "path.accountId");
    await recheckAccess(tx, principal, groupId, action);
    await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, accountId)));
    return unseatAgentsOf(tx, groupId, accountId);
  });
  await ctx.caches.changed({ kind: "membership", groupId, accountId });
  logUnseated(ctx.log, groupId, accountId, unseated, leaving ? "left" : "removed");
}
