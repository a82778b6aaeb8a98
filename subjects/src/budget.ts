import { z } from "zod";
import { Id } from "./common.js";

/** What a budget caps: an account's LLM use (every group its agents speak in) or one group's. */
export const BudgetScope = z.enum(["account", "group"]);
export const BudgetUnit = z.enum(["tokens", "money"]);
export const BudgetPeriod = z.enum(["day", "month"]);

/** The budget an event is about, and where its period stood. */
const BudgetState = z.object({
  budgetId: Id,
  scope: BudgetScope,
  scopeId: Id,
  unit: BudgetUnit,
  period: BudgetPeriod,
  /** The UTC day (or first day of the month) the period started, `YYYY-MM-DD`. */
  periodStart: z.iso.date(),
  cap: z.number().min(0),
  spent: z.number().min(0),
  reserved: z.number().min(0),
  /** The price table's currency, for `money` budgets. */
  currency: z.string().max(10).optional(),
});

/**
 * `budget.exceeded`: an LLM call was refused before it ran, because reserving its most (its
 * max output plus its prompt, in tokens or priced) would take a budget over its cap.
 */
export const BUDGET_EXCEEDED = "budget.exceeded";
export const BudgetExceeded = BudgetState.extend({
  agentId: Id,
  agentName: z.string(),
  askId: z.string().max(200).optional(),
  /** The `work.llm` item refused. */
  workId: Id,
  /** What the call would have reserved. */
  requested: z.number().min(0),
});
export type BudgetExceeded = z.infer<typeof BudgetExceeded>;

/** `budget.warning`: a budget's settled use crossed its warning share (default 80 %); once per period. */
export const BUDGET_WARNING = "budget.warning";
export const BudgetWarning = BudgetState.extend({
  /** The share of the cap that warns (0..1). */
  warnAt: z.number().min(0).max(1),
});
export type BudgetWarning = z.infer<typeof BudgetWarning>;
