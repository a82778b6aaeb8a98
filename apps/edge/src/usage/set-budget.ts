import type { Principal } from "@conclave/auth";
import { budgets, sql } from "@conclave/db";
import { AppError } from "@conclave/errors";
import { newEventId } from "@conclave/subjects";
import type { EdgeContext } from "../context.js";
import { requireBudgetManager } from "./budget-access.js";
import { budgetViews } from "./budget-views.js";
import type { BudgetView, SetBudgetBody } from "./schemas.js";

/**
 * Sets a budget (one per scope, unit and period): created, or its cap and warning share replaced
 * from the next call on. Lowering a cap below what is spent refuses the period's next calls.
 */
export async function setBudget({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: SetBudgetBody;
}): Promise<{ created: boolean; budget: BudgetView }> {
  const scopeId = input.scopeId ?? principal.accountId;
  await requireBudgetManager(ctx, principal, input.scope, scopeId);
  const [row] = await ctx.db
    .insert(budgets)
    .values({
      id: newEventId(),
      scope: input.scope,
      scopeId,
      unit: input.unit,
      period: input.period,
      cap: String(input.cap),
      warnAt: String(input.warnAt),
      updatedBy: principal.accountId,
    })
    .onConflictDoUpdate({
      target: [budgets.scope, budgets.scopeId, budgets.unit, budgets.period],
      set: {
        cap: String(input.cap),
        warnAt: String(input.warnAt),
        updatedBy: principal.accountId,
        updatedAt: sql`now()`,
      },
    })
    .returning({ id: budgets.id, inserted: sql<boolean>`(xmax = 0)` });
  if (!row) throw new AppError("internal", "budget not stored");
  ctx.log.info({ budgetId: row.id, scope: input.scope, scopeId, cap: input.cap }, "budget set");
  await ctx.caches.changed({ kind: "budget", scope: input.scope, scopeId });
  const [budget] = await budgetViews(ctx.db, sql`b.id = ${row.id}`);
  if (!budget) throw new AppError("internal", "budget not read back");
  return { created: row.inserted, budget };
}
