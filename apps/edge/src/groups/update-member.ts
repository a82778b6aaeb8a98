import { type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { changeRole, logUnseated, peopleOf } from "./membership.js";
import { lockGroup } from "./roster.js";

/**
 * Changes a member's role; owners only, and never their own. The last owner stays one, whatever
 * runs at the same time; a person made `viewer` loses their agents' seats.
 */
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
  const unseated = await ctx.db.transaction(async (tx) => {
    await lockGroup(tx, groupId);
    const people = await peopleOf(tx, groupId);
    const target = people.find((p) => p.accountId === accountId);
    if (!target) throw new AppError("not_found", `no member ${accountId} in this group`);
    return changeRole(tx, principal, { groupId, target, role, path: "path.accountId" }, people);
  });
  await ctx.caches.changed({ kind: "membership", groupId, accountId });
  logUnseated(ctx.log, groupId, accountId, unseated, `became ${role}`);
  return { groupId, accountId, role };
}
