import { type Db, queryRows, sql } from "@conclave/db";
import type { BudgetExceeded, BudgetWarning } from "@conclave/subjects";
import { type BudgetRow, createCoveringLookup } from "./budget-lookup.js";

/** What one LLM call may use at most, or did use: tokens, and money when its model has a price. */
export interface Charge {
  tokens: number;
  /** Null when no price covers the model: a money budget is not charged for it. */
  cost: number | null;
}

type BudgetState = Omit<BudgetExceeded, "agentId" | "agentName" | "askId" | "workId" | "requested">;

export type Reservation =
  | { ok: true; budgets: number }
  | { ok: false; refused: BudgetState; requested: number };

/**
 * Budgets checked before every LLM call. A call reserves its most against each budget covering it
 * (its agent's owner, its group) in one transaction, each with one conditional UPDATE, so any number
 * of executors together overshoot a cap by at most what settled calls used over their reservations.
 * Both steps are keyed by the work item: a redelivery reuses its reservation, a settlement happens once.
 */
export interface BudgetGate {
  reserve(input: {
    workId: string;
    accountId: string | null;
    groupId: string;
    at: Date;
    /** Worked out only when a budget covers the call. */
    most: () => Promise<Charge>;
  }): Promise<Reservation>;
  /** Settles the call's reservations on its real use; answers the warnings it crossed (once per period). */
  settle(input: { workId: string; used: Charge }): Promise<BudgetWarning[]>;
  /** Drops every remembered "no budget covers this" answer (a budget was set or removed). */
  forget(): void;
}

interface PeriodRow {
  spent: string;
  reserved: string;
}

/** A budget's period holding `at`: the UTC day, or the first of the UTC month. */
export function periodStart(period: "day" | "month", at: Date): string {
  const day = at.toISOString().slice(0, 10);
  return period === "day" ? day : `${day.slice(0, 7)}-01`;
}

class Refused extends Error {
  constructor(
    readonly refused: BudgetState,
    readonly requested: number,
  ) {
    super("budget exceeded");
  }
}

const amountFor = (unit: "tokens" | "money", c: Charge) => (unit === "tokens" ? c.tokens : (c.cost ?? 0));

/**
 * `uncoveredTtlMs`: how long an answer that no budget covers a group and account is reused (most
 * calls are covered by none, and the question is a round trip per call); `forget` ends it sooner.
 */
export function createBudgetGate(
  db: Db,
  options: { reservationTtlMs: number; currency: string; uncoveredTtlMs?: number },
): BudgetGate {
  const uncoveredTtlMs = options.uncoveredTtlMs ?? 0;
  const covers = createCoveringLookup(db);
  // Key → until (ms). Bounded: a burst of new groups clears it rather than growing without end.
  const uncovered = new Map<string, number>();
  const UNCOVERED_MAX = 10_000;
  let generation = 0;
  const stateOf = (b: BudgetRow, start: string, p: PeriodRow | undefined): BudgetState => ({
    budgetId: b.id,
    scope: b.scope,
    scopeId: b.scope_id,
    unit: b.unit,
    period: b.period,
    periodStart: start,
    cap: Number(b.cap),
    spent: Number(p?.spent ?? 0),
    reserved: Number(p?.reserved ?? 0),
    ...(b.unit === "money" ? { currency: options.currency } : {}),
  });

  return {
    async reserve({ workId, accountId, groupId, at, most }) {
      const key = `${groupId}:${accountId ?? ""}`;
      if ((uncovered.get(key) ?? 0) > Date.now()) return { ok: true, budgets: 0 };
      const asked = generation;
      // Ordered by id, so two calls lock the periods they share in the same order (no deadlock).
      const covering = await covers(groupId, accountId);
      if (covering.length === 0) {
        // Not if a budget changed while the question was out: the answer may predate it.
        if (uncoveredTtlMs > 0 && asked === generation) {
          if (uncovered.size >= UNCOVERED_MAX) uncovered.clear();
          uncovered.set(key, Date.now() + uncoveredTtlMs);
        }
        return { ok: true, budgets: 0 };
      }
      uncovered.delete(key);
      const expires = new Date(Date.now() + options.reservationTtlMs).toISOString();
      const charge = await most();
      try {
        await db.transaction(async (tx) => {
          const ids = sql.join(
            covering.map((b) => sql`${b.id}::uuid`),
            sql`, `,
          );
          // Reservations whose executor never came back (nor their item) give their amount back.
          await tx.execute(sql`
            with gone as (
              update budget_reservations set state = 'expired'
              where budget_id in (${ids}) and state = 'held' and expires_at < now()
              returning budget_id, period_start, amount),
            sums as (select budget_id, period_start, sum(amount) as amount from gone group by 1, 2)
            update budget_periods p set reserved = greatest(0, p.reserved - s.amount)
            from sums s where p.budget_id = s.budget_id and p.period_start = s.period_start`);
          for (const b of covering) {
            const start = periodStart(b.period, at);
            const amount = amountFor(b.unit, charge);
            // The reservation row first: a second delivery of the item waits on it, then sees it.
            const [fresh] = await queryRows<{ state: string }>(
              tx,
              sql`insert into budget_reservations (work_id, budget_id, period_start, amount, expires_at)
                  values (${workId}, ${b.id}, ${start}, ${amount}, ${expires})
                  on conflict (work_id, budget_id) do nothing
                  returning state`,
            );
            if (!fresh) {
              const [prior] = await queryRows<{ state: string }>(
                tx,
                sql`select state from budget_reservations where work_id = ${workId} and budget_id = ${b.id} for update`,
              );
              // Settled already (the call ran, its outcome's ack was lost): nothing more to hold.
              if (prior?.state === "settled") continue;
              if (prior?.state === "held") {
                // A redelivery whose reservation still counts: it only lives longer.
                await tx.execute(
                  sql`update budget_reservations set expires_at = ${expires} where work_id = ${workId} and budget_id = ${b.id}`,
                );
                continue;
              }
              // Expired (given back): held again, and counted again below.
              await tx.execute(
                sql`update budget_reservations set state = 'held', amount = ${amount}, period_start = ${start},
                      expires_at = ${expires} where work_id = ${workId} and budget_id = ${b.id}`,
              );
            }
            await tx.execute(
              sql`insert into budget_periods (budget_id, period_start) values (${b.id}, ${start}) on conflict do nothing`,
            );
            const [held] = await queryRows<PeriodRow>(
              tx,
              sql`update budget_periods p set reserved = p.reserved + ${amount}
                  from budgets b
                  where p.budget_id = ${b.id} and p.period_start = ${start} and b.id = p.budget_id
                    and p.spent + p.reserved + ${amount} <= b.cap
                  returning p.spent, p.reserved`,
            );
            if (!held) {
              const [now] = await queryRows<PeriodRow>(
                tx,
                sql`select spent, reserved from budget_periods where budget_id = ${b.id} and period_start = ${start}`,
              );
              throw new Refused(stateOf(b, start, now), amount);
            }
          }
        });
      } catch (e) {
        if (e instanceof Refused) return { ok: false, refused: e.refused, requested: e.requested };
        throw e;
      }
      return { ok: true, budgets: covering.length };
    },

    forget() {
      generation++;
      uncovered.clear();
    },

    async settle({ workId, used }) {
      return db.transaction(async (tx) => {
        const held = await queryRows<{
          budget_id: string;
          period_start: string;
          amount: string;
          state: "held" | "expired";
          unit: "tokens" | "money";
        }>(
          tx,
          sql`select r.budget_id, r.period_start::text as period_start, r.amount, r.state, b.unit
              from budget_reservations r join budgets b on b.id = r.budget_id
              where r.work_id = ${workId} and r.state in ('held', 'expired')
              order by r.budget_id for update of r`,
        );
        const warnings: BudgetWarning[] = [];
        for (const r of held) {
          const actual = amountFor(r.unit, used);
          // An expired reservation was given back already: only the use is charged.
          const release = r.state === "held" ? r.amount : "0";
          await tx.execute(sql`
            update budget_reservations set state = 'settled', actual = ${actual}, settled_at = now()
            where work_id = ${workId} and budget_id = ${r.budget_id}`);
          await tx.execute(sql`
            update budget_periods set spent = spent + ${actual}, reserved = greatest(0, reserved - ${release}::numeric)
            where budget_id = ${r.budget_id} and period_start = ${r.period_start}`);
          const [crossed] = await queryRows<BudgetRow & PeriodRow>(
            tx,
            sql`update budget_periods p set warned_at = now()
                from budgets b
                where p.budget_id = ${r.budget_id} and p.period_start = ${r.period_start} and b.id = p.budget_id
                  and p.warned_at is null and p.spent >= b.cap * b.warn_at
                returning b.id, b.scope, b.scope_id, b.unit, b.period, b.cap, b.warn_at, p.spent, p.reserved`,
          );
          if (crossed)
            warnings.push({
              ...stateOf(crossed, r.period_start, crossed),
              warnAt: Number(crossed.warn_at),
            });
        }
        return warnings;
      });
    },
  };
}
