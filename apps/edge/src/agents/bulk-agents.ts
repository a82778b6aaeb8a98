import { type Principal, requireScope } from "@conclave/auth";
import { AppError, assertNever } from "@conclave/errors";
import { problemOf } from "@conclave/http";
import type { EdgeContext } from "../context.js";
import { type ProviderCheck, providerCheck } from "../providers/check-providers.js";
import { assertNoIssues, choiceOf, newAgentRow, promptBudgetIssue } from "./agent-row.js";
import { insertAgents } from "./create-agent.js";
import { removeAgent } from "./delete-agent.js";
import type { AgentView, BulkOperation, BulkResultView } from "./schemas.js";
import { patchAgent } from "./update-agent.js";

type Outcome = { status: number; id: string; agent?: AgentView };

/** Runs one operation in its own transaction; field paths name the item (`body.operations.<i>...`). */
async function runOne(
  ctx: EdgeContext,
  accountId: string,
  op: BulkOperation,
  at: string,
  check: ProviderCheck,
): Promise<Outcome> {
  switch (op.op) {
    case "create": {
      assertNoIssues(
        promptBudgetIssue(op.agent.systemPrompt, op.agent.personality, `${at}.agent.personality`),
      );
      const row = newAgentRow(accountId, op.agent);
      await check([choiceOf(row, `${at}.agent`)]);
      const [agent] = await ctx.db.transaction((tx) =>
        insertAgents(tx, accountId, [row], ctx.config.MAX_AGENTS_PER_ACCOUNT),
      );
      return { status: 201, id: row.id, ...(agent ? { agent } : {}) };
    }
    case "update":
    case "enable":
    case "disable": {
      const patch = op.op === "update" ? op.patch : { enabled: op.op === "enable" };
      const prefix = op.op === "update" ? `${at}.patch` : at;
      const agent = await ctx.db.transaction((tx) => patchAgent(tx, accountId, op.id, patch, prefix, check));
      return { status: 200, id: op.id, agent };
    }
    case "delete":
      await ctx.db.transaction((tx) => removeAgent(tx, accountId, op.id, op.force));
      return { status: 204, id: op.id };
    default:
      return assertNever(op, "bulk operation");
  }
}

/**
 * Runs a batch of agent operations of the caller, in order, each on its own: one failing is reported
 * in its result and neither undoes nor stops the others.
 */
export async function bulkAgents({
  ctx,
  principal,
  operations,
}: {
  ctx: EdgeContext;
  principal: Principal;
  operations: BulkOperation[];
}): Promise<{ results: BulkResultView[]; succeeded: number; failed: number }> {
  requireScope(principal, "write");
  const results: BulkResultView[] = [];
  // One reading of what executors serve for the whole batch.
  const check = providerCheck(ctx, principal.accountId);
  for (const [index, op] of operations.entries()) {
    const at = `body.operations.${index}`;
    try {
      results.push({ index, op: op.op, ...(await runOne(ctx, principal.accountId, op, at, check)) });
    } catch (e) {
      const error = e instanceof AppError ? e : new AppError("internal", "unexpected error", { cause: e });
      if (!(e instanceof AppError)) ctx.log.error({ err: e, index }, "bulk agent operation failed");
      const problem = problemOf(error);
      results.push({
        index,
        op: op.op,
        status: problem.status,
        ...("id" in op ? { id: op.id } : {}),
        error: problem,
      });
    }
  }
  const failed = results.filter((r) => r.error).length;
  ctx.log.info({ operations: results.length, failed }, "bulk agent operations");
  return { results, succeeded: results.length - failed, failed };
}
