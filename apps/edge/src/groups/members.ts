import { type GroupRole, type Principal, requireGroupAccess } from "@conclave/auth";
import { accounts, and, eq, groupMembers } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";

/** Adds (or changes the role of) a person in a group; owners only. */
export async function addMember({
  ctx,
  principal,
  groupId,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  groupId: string;
  input: { email: string; role: GroupRole };
}) {
  await requireGroupAccess(ctx.db, principal, groupId, "manage");
  const [account] = await ctx.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(eq(accounts.email, input.email));
  if (!account)
    throw new AppError("not_found", "no account with this email", {
      fields: [{ path: "body.email", message: "unknown" }],
    });
  if (account.id === principal.accountId)
    throw new AppError("conflict", "owners cannot change their own role", {
      fields: [{ path: "body.email", message: "that is you" }],
    });
  await ctx.db
    .insert(groupMembers)
    .values({ groupId, accountId: account.id, role: input.role })
    .onConflictDoUpdate({
      target: [groupMembers.groupId, groupMembers.accountId],
      set: { role: input.role },
    });
  return { groupId, accountId: account.id, role: input.role };
}

/** The people of a group and their roles. */
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
  const rows = await ctx.db
    .select({ accountId: groupMembers.accountId, email: accounts.email, role: groupMembers.role })
    .from(groupMembers)
    .innerJoin(accounts, eq(accounts.id, groupMembers.accountId))
    .where(and(eq(groupMembers.groupId, groupId)));
  return { items: rows };
}
