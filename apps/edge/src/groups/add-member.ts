import { type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { accounts, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { changeRole, logUnseated, peopleOf, recheckAccess } from "./membership.js";
import { lockGroup } from "./roster.js";
import type { AddMemberBody } from "./schemas.js";

/** Adds a person (by email or account id) to a group, or changes their role; owners only. */
export async function addMember({
  ctx,
  principal,
  groupId,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  input: AddMemberBody;
}): Promise<{ groupId: string; accountId: string; role: GroupRole }> {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  const who =
    input.email !== undefined
      ? { field: "body.email", match: eq(accounts.email, input.email) }
      : input.accountId !== undefined
        ? { field: "body.accountId", match: eq(accounts.id, input.accountId) }
        : undefined;
  if (!who)
    throw new AppError("validation", "give either email or accountId", {
      fields: [{ path: "body.email", message: "give either email or accountId" }],
    });
  const { field } = who;
  const [account] = await ctx.db.select({ id: accounts.id }).from(accounts).where(who.match);
  if (!account)
    throw new AppError("not_found", "no such account", { fields: [{ path: field, message: "unknown" }] });
  if (account.id === principal.accountId)
    throw new AppError("conflict", "owners cannot change their own role", {
      fields: [{ path: field, message: "that is you" }],
    });
  const unseated = await ctx.db.transaction(async (tx) => {
    await lockGroup(tx, groupId);
    const people = await peopleOf(tx, groupId);
    const target = people.find((p) => p.accountId === account.id);
    // Someone already in the group: the same rules as a role change (the last owner stays one).
    if (target) return changeRole(tx, principal, { groupId, target, role: input.role, path: field }, people);
    await recheckAccess(tx, principal, groupId, "manage");
    await tx.insert(groupMembers).values({ groupId, accountId: account.id, role: input.role });
    return [];
  });
  await ctx.caches.changed({ kind: "membership", groupId, accountId: account.id });
  logUnseated(ctx.log, groupId, account.id, unseated, `became ${input.role}`);
  return { groupId, accountId: account.id, role: input.role };
}
