import { type Principal, requireGroupAccess, requireScope } from "@conclave/auth";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { isAdmin } from "./usage-access.js";

/**
 * Who may set or remove a budget: the account itself (or an admin) for an account's, the group's
 * owners for a group's. Another account is a 404; a group outsider a 404, a member a 403.
 */
export async function requireBudgetManager(
  ctx: EdgeContext,
  principal: Principal,
  scope: "account" | "group",
  scopeId: string,
): Promise<void> {
  requireScope(principal, "write");
  if (scope === "group") {
    await requireGroupAccess(ctx.db, principal, scopeId, "manage");
    return;
  }
  if (scopeId !== principal.accountId && !isAdmin(principal))
    throw new AppError("not_found", `no account ${scopeId}`);
}
