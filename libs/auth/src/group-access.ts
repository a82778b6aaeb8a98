import { and, type Db, eq, groupMembers } from "@conclave/db";
import { AppError, assertNever } from "@conclave/errors";
import { type Principal, requireScope, type Scope } from "./principal.js";
import { judgeWidget } from "./widget-grant.js";

export type GroupRole = "owner" | "member" | "viewer";
/**
 * What a caller wants to do in a group. `debug`: read its turns step by step (replay, timelines with
 * every prompt), the people who run it (owners and members), not those it is only shown to.
 */
export type GroupAction = "read" | "debug" | "post" | "manage";

function allows(role: GroupRole, action: GroupAction): boolean {
  switch (action) {
    case "read":
      return true;
    case "debug":
    case "post":
      return role === "owner" || role === "member";
    case "manage":
      return role === "owner";
    default:
      return assertNever(action, "group action");
  }
}

/** The person's role in the group, or undefined when they are not in it (or it does not exist). */
export async function groupRoleOf(
  db: Db,
  accountId: string,
  groupId: string,
): Promise<GroupRole | undefined> {
  const [row] = await db
    .select({ role: groupMembers.role })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, accountId)));
  return row?.role;
}

/**
 * Judges a role already read (e.g. cached) as `requireGroupAccess` does; the credential's scope is
 * the caller's to check first (`requireScope`, before any read).
 */
export function assertGroupRole(
  groupId: string,
  role: GroupRole | undefined,
  action: GroupAction,
): GroupRole {
  if (!role) throw new AppError("not_found", `no group ${groupId}`);
  if (!allows(role, action)) throw new AppError("forbidden", `a group ${role} may not ${action}`);
  return role;
}

/**
 * What the credential itself allows before any read: a scope, or for a widget key (which has none)
 * its one group and its read and post.
 */
export function requireCredentialFor(p: Principal, groupId: string, action: GroupAction): void {
  if (p.widget) judgeWidget(p.widget, groupId, action);
  else requireScope(p, scopeFor(action));
}

/** The credential scope an action in a group needs. */
export const scopeFor = (action: GroupAction): Scope =>
  action === "read" || action === "debug" ? "read" : "write";

/**
 * Checks that the caller belongs to the group and may act. A non-member gets 404, exactly as for a
 * group that does not exist, so ids of other people's groups leak nothing.
 */
export async function requireGroupAccess(
  db: Db,
  p: Principal,
  groupId: string,
  action: GroupAction,
): Promise<GroupRole> {
  requireCredentialFor(p, groupId, action);
  // A widget key acts with its creator's role: it stops working where they no longer may.
  return assertGroupRole(groupId, await groupRoleOf(db, p.accountId, groupId), action);
}
