import { type Db, queryRows, type SQL, sql } from "@conclave/db";
import type { BudgetView } from "./schemas.js";

interface Row {
  id: string;
  scope: "account" | "group";
  scope_id: string;
  unit: "tokens" | "money";
  period: "day" | "month";
  cap: string;
  warn_at: string;
  updated_at: string | Date;
  period_start: string;
  spent: string | null;
  reserved: string | null;
  warned_at: string | Date | null;
}

/** Budgets matching `where` (over `b`), each with its current period's spent and reserved. */
export async function budgetViews(db: Db, where: SQL, now = new Date()): Promise<BudgetView[]> {
  const day = now.toISOString().slice(0, 10);
  const month = `${day.slice(0, 7)}-01`;
  const rows = await queryRows<Row>(
    db,
    sql`select b.id, b.scope, b.scope_id, b.unit, b.period, b.cap, b.warn_at, b.updated_at,
          s.start as period_start, p.spent, p.reserved, p.warned_at
        from budgets b
        cross join lateral (select (case when b.period = 'day' then ${day} else ${month} end)::date::text as start) s
        left join budget_periods p on p.budget_id = b.id and p.period_start = s.start::date
        where ${where}
        order by b.scope, b.scope_id, b.unit, b.period`,
  );
  return rows.map(viewOf);
}

export function viewOf(r: Row): BudgetView {
  const cap = Number(r.cap);
  const spent = Number(r.spent ?? 0);
  const reserved = Number(r.reserved ?? 0);
  return {
    id: r.id,
    scope: r.scope,
    scopeId: r.scope_id,
    unit: r.unit,
    period: r.period,
    cap,
    warnAt: Number(r.warn_at),
    current: {
      periodStart: r.period_start,
      spent,
      reserved,
      remaining: Math.max(0, cap - spent - reserved),
      warned: r.warned_at !== null,
    },
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
