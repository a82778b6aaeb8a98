import type { Principal } from "@conclave/auth";
import { budgets, eq } from "@conclave/db";
import { AppError, isAppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { requireBudgetManager } from "./budget-access.js";

/** Removes a budget (its periods and reservations with it): the next calls are not capped by it. */
export async function deleteBudget({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { budgetId: string };
}): Promise<void> {
  const [b] = await ctx.db
    .select({ scope: budgets.scope, scopeId: budgets.scopeId })
    .from(budgets)
    .where(eq(budgets.id, input.budgetId));
  if (!b) throw new AppError("not_found", `no budget ${input.budgetId}`);
  // Someone who may not manage it learns no more than that it is not theirs (404).
  await requireBudgetManager(ctx, principal, b.scope, b.scopeId).catch((e: unknown) => {
    if (isAppError(e) && (e.code === "not_found" || (e.code === "forbidden" && b.scope === "group")))
      throw new AppError("not_found", `no budget ${input.budgetId}`, { cause: e });
    throw e;
  });
  await ctx.db.delete(budgets).where(eq(budgets.id, input.budgetId));
  ctx.log.info({ budgetId: input.budgetId }, "budget removed");
  await ctx.caches.changed({ kind: "budget", scope: b.scope, scopeId: b.scopeId });
}
