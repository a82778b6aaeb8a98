import { type Principal, requireScope } from "@conclave/auth";
import { accounts, agents, count, eq } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { providerCheck } from "../providers/check-providers.js";
import type { Tx } from "../tx.js";
import { agentView, assertNoIssues, choiceOf, newAgentRow, promptBudgetIssue } from "./agent-row.js";
import type { AgentInput, AgentView } from "./schemas.js";

/** Inserts new agents of the account, within its limit; the account row is locked so the limit holds. */
export async function insertAgents(
  tx: Tx,
  accountId: string,
  rows: (typeof agents.$inferInsert)[],
  maxPerAccount: number,
): Promise<AgentView[]> {
  if (rows.length === 0) return [];
  // Serializes the count-then-insert per account. NO KEY UPDATE, not UPDATE: the same transaction
  // (and others) may already hold KEY SHARE on this row from inserting rows that reference it.
  await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for("no key update");
  const [owned] = await tx.select({ n: count() }).from(agents).where(eq(agents.accountId, accountId));
  if ((owned?.n ?? 0) + rows.length > maxPerAccount)
    throw new AppError("conflict", `an account owns at most ${maxPerAccount} agents; delete some first`);
  const inserted = await tx.insert(agents).values(rows).returning();
  return inserted.map(agentView);
}

/** Creates an agent in the caller's account. */
export async function createAgent({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: AgentInput;
}): Promise<AgentView> {
  requireScope(principal, "write");
  assertNoIssues(promptBudgetIssue(input.systemPrompt, input.personality, "body.personality"));
  const row = newAgentRow(principal.accountId, input);
  await providerCheck(ctx, principal.accountId)([choiceOf(row, "body")]);
  const [created] = await ctx.db.transaction((tx) =>
    insertAgents(tx, principal.accountId, [row], ctx.config.MAX_AGENTS_PER_ACCOUNT),
  );
  if (!created) throw new AppError("internal", "agent not stored");
  ctx.log.info({ agentId: created.id }, "agent created");
  return created;
}
