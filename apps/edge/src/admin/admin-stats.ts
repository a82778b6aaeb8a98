import type { Principal } from "@conclave/auth";
import { queryRows, sql } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { EdgeContext } from "../context.js";
import { isAdmin, rangeOf } from "../usage/usage-access.js";
import type { StatsView } from "./schemas.js";

interface TurnRow {
  day?: string;
  conversations: number | string;
  turns: number | string;
  completed: number | string;
  failed: number | string;
  p50: number | string | null;
  p95: number | string | null;
}
interface CallRow {
  day?: string;
  calls: number | string;
  errors: number | string;
}

const TURNS = sql`count(distinct group_id)::int as conversations, count(*)::int as turns,
  (count(*) filter (where status = 'completed'))::int as completed,
  (count(*) filter (where status = 'failed'))::int as failed,
  percentile_cont(0.5) within group (order by extract(epoch from ended_at - started_at) * 1000)
    filter (where ended_at is not null) as p50,
  percentile_cont(0.95) within group (order by extract(epoch from ended_at - started_at) * 1000)
    filter (where ended_at is not null) as p95`;
const CALLS = sql`count(*)::int as calls, (count(*) filter (where outcome = 'failed'))::int as errors`;
const DAY = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`);

const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

function figures(t: TurnRow | undefined, c: CallRow | undefined) {
  const completed = Number(t?.completed ?? 0);
  const failed = Number(t?.failed ?? 0);
  const p50 = num(t?.p50);
  const p95 = num(t?.p95);
  return {
    conversations: Number(t?.conversations ?? 0),
    turns: Number(t?.turns ?? 0),
    completed,
    failed,
    successRate: completed + failed > 0 ? completed / (completed + failed) : null,
    durationP50Ms: p50 === null ? null : Math.round(p50),
    durationP95Ms: p95 === null ? null : Math.round(p95),
    llmCalls: Number(c?.calls ?? 0),
    llmErrors: Number(c?.errors ?? 0),
  };
}

/**
 * The deployment's figures in a range (turns by their start, calls by theirs), in SQL over the
 * `turns`, `llm_calls` and `events` tables, by UTC day. Account admins only (with the admin scope).
 */
export async function adminStats({
  ctx,
  principal,
  input,
}: {
  ctx: EdgeContext;
  principal: Principal;
  input: { from?: string | undefined; to?: string | undefined };
}): Promise<StatsView> {
  if (!isAdmin(principal)) throw new AppError("forbidden", "account admins only");
  const { from, to } = rangeOf(input);
  const f = from.toISOString();
  const t = to.toISOString();
  const turnsIn = sql`started_at >= ${f} and started_at < ${t}`;
  const [turnTotal, turnDays, callTotal, callDays, models, reasons, events, topErrors] = await Promise.all([
    queryRows<TurnRow>(ctx.db, sql`select ${TURNS} from turns where ${turnsIn}`),
    queryRows<TurnRow>(
      ctx.db,
      sql`select ${DAY("started_at")} as day, ${TURNS} from turns where ${turnsIn} group by 1 order by 1`,
    ),
    queryRows<CallRow>(ctx.db, sql`select ${CALLS} from llm_calls where ${turnsIn}`),
    queryRows<CallRow>(
      ctx.db,
      sql`select ${DAY("started_at")} as day, ${CALLS} from llm_calls where ${turnsIn} group by 1 order by 1`,
    ),
    queryRows<{
      provider: string;
      model: string;
      calls: number | string;
      failed: number | string;
      input_tokens: number | string;
      output_tokens: number | string;
      cost: string;
    }>(
      ctx.db,
      sql`select provider, model, count(*)::int as calls, (count(*) filter (where outcome = 'failed'))::int as failed,
            coalesce(sum(input_tokens), 0)::bigint as input_tokens, coalesce(sum(output_tokens), 0)::bigint as output_tokens,
            coalesce(sum(cost), 0)::text as cost
          from llm_calls where ${turnsIn} group by 1, 2 order by 3 desc, 1, 2`,
    ),
    queryRows<{ reason: string; turns: number | string }>(
      ctx.db,
      // The recorded reason is `<reason>: <detail>`: grouped by the reason alone.
      sql`select coalesce(split_part(reason, ':', 1), 'unknown') as reason, count(*)::int as turns from turns
          where ${turnsIn} and status = 'failed' group by 1 order by 2 desc, 1`,
    ),
    queryRows<{ type: string; count: number | string }>(
      ctx.db,
      sql`select type, count(*)::int as count from events
          where at >= ${f} and at < ${t}
            and type in ('agent.failed', 'guard.triggered', 'budget.exceeded', 'budget.warning', 'turn.failed')
          group by 1 order by 2 desc, 1`,
    ),
    queryRows<{ error: string; count: number | string }>(
      ctx.db,
      sql`select left(error, 200) as error, count(*)::int as count from llm_calls
          where ${turnsIn} and outcome = 'failed' group by 1 order by 2 desc, 1 limit 10`,
    ),
  ]);
  const callsByDay = new Map(callDays.map((c) => [c.day, c]));
  const days = new Set([...turnDays.map((d) => d.day), ...callDays.map((d) => d.day)]);
  const turnsByDay = new Map(turnDays.map((d) => [d.day, d]));
  return {
    from: f,
    to: t,
    total: figures(turnTotal[0], callTotal[0]),
    byDay: [...days]
      .filter((d): d is string => d !== undefined)
      .sort()
      .map((day) => ({ day, ...figures(turnsByDay.get(day), callsByDay.get(day)) })),
    models: models.map((m) => ({
      provider: m.provider,
      model: m.model,
      calls: Number(m.calls),
      failed: Number(m.failed),
      inputTokens: Number(m.input_tokens),
      outputTokens: Number(m.output_tokens),
      cost: Number(m.cost),
    })),
    errors: {
      turnsByReason: reasons.map((r) => ({ reason: r.reason, turns: Number(r.turns) })),
      events: events.map((e) => ({ type: e.type, count: Number(e.count) })),
      topLlmErrors: topErrors.map((e) => ({ error: e.error, count: Number(e.count) })),
    },
  };
}
