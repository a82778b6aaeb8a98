import { BudgetPeriod, BudgetScope, BudgetUnit } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

/** The longest range one usage or stats request may cover. */
export const MAX_RANGE_DAYS = 400;

const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).openapi({
  description: "An ISO date (`2026-12-01`, UTC midnight) or date-time.",
});

/** `from` (inclusive) and `to` (exclusive); default: the current UTC month up to now. */
export const RangeQuery = z.object({
  from: Instant.optional(),
  to: Instant.optional(),
});

export const UsageQuery = RangeQuery.extend({
  groupBy: z.enum(["day", "group", "agent", "model"]).default("day"),
  accountId: z.uuid("must be a UUID").optional().openapi({
    description: "Admins only: another account's usage (anyone else: only their own, else 404).",
  }),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

const Totals = z.object({
  calls: z.number().int(),
  failed: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedTokens: z.number().int(),
  /** Sum of the rows' `cost` (money in the price table's currency); calls without a price add nothing. */
  cost: z.number(),
  /** Calls no price covered. */
  unpriced: z.number().int(),
});

export const BudgetView = z
  .object({
    id: z.uuid(),
    scope: BudgetScope,
    scopeId: z.uuid(),
    unit: BudgetUnit,
    period: BudgetPeriod,
    cap: z.number(),
    warnAt: z.number(),
    current: z.object({
      periodStart: z.string(),
      spent: z.number(),
      reserved: z.number(),
      remaining: z.number(),
      warned: z.boolean(),
    }),
    updatedAt: z.string(),
  })
  .openapi("Budget");
export type BudgetView = z.infer<typeof BudgetView>;

export const UsageView = z
  .object({
    accountId: z.uuid(),
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(["day", "group", "agent", "model"]),
    rows: z.array(Totals.extend({ key: z.string(), label: z.string().nullable() })),
    total: Totals,
    budgets: z.array(BudgetView),
  })
  .openapi("Usage");
export type UsageView = z.infer<typeof UsageView>;

export const MonthParam = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM")
    .openapi({ param: { name: "month", in: "path" }, example: "2026-12" }),
});

export const StatementQuery = z.object({
  format: z.enum(["json", "csv"]).optional(),
  accountId: z.uuid("must be a UUID").optional().openapi({ description: "Admins only: another account's." }),
});

export const StatementLine = z.object({
  groupId: z.uuid(),
  agentId: z.uuid(),
  agentName: z.string(),
  provider: z.string(),
  model: z.string(),
  currency: z.string().nullable(),
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedTokens: z.number().int(),
  cost: z.number(),
});
export type StatementLine = z.infer<typeof StatementLine>;

export const StatementView = z
  .object({
    accountId: z.uuid(),
    month: z.string(),
    from: z.string(),
    to: z.string(),
    lines: z.array(StatementLine),
    total: Totals.omit({ failed: true }),
  })
  .openapi("UsageStatement");
export type StatementView = z.infer<typeof StatementView>;

export const SetBudgetBody = z
  .strictObject({
    scope: BudgetScope,
    scopeId: z.uuid("must be a UUID").optional().openapi({
      description: "The group's id, or the account's (default: the caller's own account).",
    }),
    unit: BudgetUnit,
    period: BudgetPeriod,
    cap: z.number().min(0).max(1e12),
    warnAt: z.number().gt(0).max(1).default(0.8).openapi({
      description: "The share of the cap whose crossing emits one `budget.warning` per period.",
    }),
  })
  .refine((b) => b.scope === "account" || b.scopeId !== undefined, {
    path: ["scopeId"],
    message: "a group budget names its group",
  })
  .refine((b) => b.unit !== "tokens" || Number.isInteger(b.cap), {
    path: ["cap"],
    message: "a token cap is a whole number",
  })
  .openapi("SetBudget");
export type SetBudgetBody = z.infer<typeof SetBudgetBody>;

export const BudgetIdParam = z.object({
  budgetId: z.uuid("must be a UUID").openapi({ param: { name: "budgetId", in: "path" } }),
});
