import { and, type Db, eq, groupMembers } from "@conclave/db";
import { AppError, assertNever } from "@conclave/errors";
import { type Principal, requireScope } from "./principal.js";

export type GroupRole = "owner" | "member" | "viewer";
/** What a caller wants to do in a group. */
export type GroupAction = "read" | "post" | "manage";

function allows(role: GroupRole, action: GroupAction): boolean {
  switch (action) {
    case "read":
      return true;
    case "post":
      return role === "owner" || role === "member";
    case "manage":
      return role === "owner";
    default:
      return assertNever(action, "group action");
  }
}

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
  requireScope(p, action === "read" ? "read" : "write");
  const [row] = await db
    .select({ role: groupMembers.role })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.accountId, p.accountId)));
  if (!row) throw new AppError("not_found", `no group ${groupId}`);
  if (!allows(row.role, action)) throw new AppError("forbidden", `a group ${row.role} may not ${action}`);
  return row.role;
}
