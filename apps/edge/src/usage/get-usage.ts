import type { Principal } from "@conclave/auth";
import { queryRows, type SQL, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import { budgetViews } from "./budget-views.js";
import type { UsageQuery, UsageView } from "./schemas.js";
import { rangeOf, usageAccount } from "./usage-access.js";

interface TotalsRow {
  calls: number | string;
  failed: number | string;
  input_tokens: number | string;
  output_tokens: number | string;
  cached_tokens: number | string;
  cost: string;
  unpriced: number | string;
}

const KEYS: Record<UsageQuery["groupBy"], { key: SQL; label: SQL }> = {
  day: {
    key: sql`to_char(started_at at time zone 'UTC', 'YYYY-MM-DD')`,
    label: sql`null::text`,
  },
  group: { key: sql`group_id::text`, label: sql`null::text` },
  agent: { key: sql`agent_id::text`, label: sql`max(agent_name)` },
  model: { key: sql`provider || '/' || model`, label: sql`null::text` },
};

const TOTALS = sql`count(*)::int as calls,
  (count(*) filter (where outcome = 'failed'))::int as failed,
  coalesce(sum(input_tokens), 0)::bigint as input_tokens,
  coalesce(sum(output_tokens), 0)::bigint as output_tokens,
  coalesce(sum(cached_tokens), 0)::bigint as cached_tokens,
  coalesce(sum(cost), 0)::text as cost,
  (count(*) filter (where cost is null))::int as unpriced`;

export const totalsOf = (r: TotalsRow | undefined) => ({
  calls: Number(r?.calls ?? 0),
  failed: Number(r?.failed ?? 0),
  inputTokens: Number(r?.input_tokens ?? 0),
  outputTokens: Number(r?.output_tokens ?? 0),
  cachedTokens: Number(r?.cached_tokens ?? 0),
  cost: Number(r?.cost ?? 0),
  unpriced: Number(r?.unpriced ?? 0),
});

/**
 * An account's LLM use from the ledger (`llm_calls`, one row per call) in a range, rolled up in SQL
 * by day, group, agent or model, with the budgets covering the account. Own usage, or admins any.
 */
export async function getUsage({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: UsageQuery;
}): Promise<UsageView> {
  const accountId = usageAccount(principal, input.accountId);
  const { from, to } = rangeOf(input);
  const { key, label } = KEYS[input.groupBy];
  const where = sql`account_id = ${accountId} and started_at >= ${from.toISOString()} and started_at < ${to.toISOString()}`;
  const [rows, [total], budgets] = await Promise.all([
    queryRows<TotalsRow & { key: string; label: string | null }>(
      ctx.db,
      sql`select ${key} as key, ${label} as label, ${TOTALS} from llm_calls where ${where} group by 1 order by 1`,
    ),
    queryRows<TotalsRow>(ctx.db, sql`select ${TOTALS} from llm_calls where ${where}`),
    budgetViews(ctx.db, sql`b.scope = 'account' and b.scope_id = ${accountId}`),
  ]);
  return {
    accountId,
    from: from.toISOString(),
    to: to.toISOString(),
    groupBy: input.groupBy,
    rows: rows.map((r) => ({ key: r.key, label: r.label, ...totalsOf(r) })),
    total: totalsOf(total),
    budgets,
  };
}
