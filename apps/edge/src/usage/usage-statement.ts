import type { Principal } from "@conclave/auth";
import { queryRows, sql } from "@conclave/db";
import type { EdgeContext } from "../context.js";
import type { StatementLine, StatementView } from "./schemas.js";
import { usageAccount } from "./usage-access.js";

interface LineRow {
  group_id: string;
  agent_id: string;
  agent_name: string;
  provider: string;
  model: string;
  currency: string | null;
  calls: number | string;
  input_tokens: number | string;
  output_tokens: number | string;
  cached_tokens: number | string;
  cost: string;
  unpriced: number | string;
}

/** An account's calls in one UTC month, one line per group, agent, provider and model (SQL rollup). */
export async function usageStatement({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { month: string; accountId?: string | undefined };
}): Promise<StatementView> {
  const accountId = usageAccount(principal, input.accountId);
  const [y, m] = input.month.split("-").map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1));
  const to = new Date(Date.UTC(y, m, 1));
  const rows = await queryRows<LineRow>(
    ctx.db,
    sql`select group_id, agent_id, max(agent_name) as agent_name, provider, model, max(currency) as currency,
          count(*)::int as calls,
          coalesce(sum(input_tokens), 0)::bigint as input_tokens,
          coalesce(sum(output_tokens), 0)::bigint as output_tokens,
          coalesce(sum(cached_tokens), 0)::bigint as cached_tokens,
          coalesce(sum(cost), 0)::text as cost,
          (count(*) filter (where cost is null))::int as unpriced
        from llm_calls
        where account_id = ${accountId} and started_at >= ${from.toISOString()} and started_at < ${to.toISOString()}
        group by group_id, agent_id, provider, model
        order by group_id, agent_id, provider, model`,
  );
  const lines: StatementLine[] = rows.map((r) => ({
    groupId: r.group_id,
    agentId: r.agent_id,
    agentName: r.agent_name,
    provider: r.provider,
    model: r.model,
    currency: r.currency,
    calls: Number(r.calls),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cachedTokens: Number(r.cached_tokens),
    cost: Number(r.cost),
  }));
  // The total is the lines' sum in exact decimals (8 places, as the ledger keeps them).
  const sum = (f: (l: StatementLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  const costE8 = rows.reduce((n, r) => n + BigInt(Math.round(Number(r.cost) * 1e8)), 0n);
  return {
    accountId,
    month: input.month,
    from: from.toISOString(),
    to: to.toISOString(),
    lines,
    total: {
      calls: sum((l) => l.calls),
      inputTokens: sum((l) => l.inputTokens),
      outputTokens: sum((l) => l.outputTokens),
      cachedTokens: sum((l) => l.cachedTokens),
      cost: Number(costE8) / 1e8,
      unpriced: rows.reduce((n, r) => n + Number(r.unpriced), 0),
    },
  };
}

const CSV_COLUMNS = [
  "month",
  "group_id",
  "agent_id",
  "agent_name",
  "provider",
  "model",
  "calls",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cost",
  "currency",
] as const;

/** A cell as RFC 4180 wants it; a leading `=`, `+`, `-` or `@` is quoted with `'` so no sheet runs it. */
function cell(v: string | number | null): string {
  let s = v === null ? "" : String(v);
  if (typeof v === "string" && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The statement as CSV: a header, one row per line item, and a total row. */
export function statementCsv(s: StatementView): string {
  const rows = [
    CSV_COLUMNS.join(","),
    ...s.lines.map((l) =>
      [
        s.month,
        l.groupId,
        l.agentId,
        l.agentName,
        l.provider,
        l.model,
        l.calls,
        l.inputTokens,
        l.outputTokens,
        l.cachedTokens,
        l.cost.toFixed(8),
        l.currency,
      ]
        .map(cell)
        .join(","),
    ),
    [
      s.month,
      "total",
      "",
      "",
      "",
      "",
      s.total.calls,
      s.total.inputTokens,
      s.total.outputTokens,
      s.total.cachedTokens,
      s.total.cost.toFixed(8),
      "",
    ]
      .map(cell)
      .join(","),
  ];
  return `${rows.join("\r\n")}\r\n`;
}
