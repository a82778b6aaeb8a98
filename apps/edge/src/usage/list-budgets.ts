import { type Principal, requireScope } from "@conclave/auth";
import { sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { budgetViews } from "./budget-views.js";
import type { BudgetView } from "./schemas.js";

/** The budgets the caller may see: their account's, and those of every group they are in. */
export async function listBudgets({
  ctx,
  principal,
}: {
  ctx: EdgeContext;
  principal: Principal;
}): Promise<{ items: BudgetView[] }> {
  requireScope(principal, "read");
  const items = await budgetViews(
    ctx.db,
    sql`(b.scope = 'account' and b.scope_id = ${principal.accountId})
        or (b.scope = 'group' and b.scope_id in
              (select group_id from group_members where account_id = ${principal.accountId}))`,
  );
  return { items };
}
