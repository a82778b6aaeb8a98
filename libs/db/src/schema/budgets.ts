import { sql } from "drizzle-orm";
import {
  date,
  index,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

export const BUDGET_SCOPES = ["account", "group"] as const;
export const BUDGET_UNITS = ["tokens", "money"] as const;
export const BUDGET_PERIODS = ["day", "month"] as const;

/** A cap on an account's or a group's LLM use per UTC day or month, in tokens or money. */
export const budgets = pgTable(
  "budgets",
  {
    id: uuid("id").primaryKey(),
    scope: text("scope", { enum: BUDGET_SCOPES }).notNull(),
    /** The account's or the group's id. */
    scopeId: uuid("scope_id").notNull(),
    unit: text("unit", { enum: BUDGET_UNITS }).notNull(),
    period: text("period", { enum: BUDGET_PERIODS }).notNull(),
    /** Tokens, or money in the price table's currency. */
    cap: numeric("cap", { precision: 24, scale: 8 }).notNull(),
    /** The share of the cap whose crossing emits one `budget.warning` per period. */
    warnAt: numeric("warn_at", { precision: 5, scale: 4 }).notNull().default("0.8"),
    updatedBy: uuid("updated_by"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "string" }).notNull().default(sql`now()`),
  },
  (t) => [
    unique("budgets_scope_uq").on(t.scope, t.scopeId, t.unit, t.period),
    index("budgets_scope_idx").on(t.scopeId),
  ],
);

/**
 * A budget's running total in one period: `spent` settled, `reserved` held by calls in flight. A call
 * reserves with one conditional UPDATE (`spent + reserved + r <= cap`), so replicas cannot overshoot.
 */
export const budgetPeriods = pgTable(
  "budget_periods",
  {
    budgetId: uuid("budget_id")
      .notNull()
      .references(() => budgets.id, { onDelete: "cascade" }),
    /** The UTC day, or the first day of the UTC month. */
    periodStart: date("period_start", { mode: "string" }).notNull(),
    spent: numeric("spent", { precision: 24, scale: 8 }).notNull().default("0"),
    reserved: numeric("reserved", { precision: 24, scale: 8 }).notNull().default("0"),
    warnedAt: timestamp("warned_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [primaryKey({ columns: [t.budgetId, t.periodStart] })],
);

/**
 * What one LLM call (its `work.llm` item) holds against a budget: reserved once per work item (a
 * redelivery reuses it), settled once on the real usage, or expired when its executor never came back.
 */
export const budgetReservations = pgTable(
  "budget_reservations",
  {
    workId: uuid("work_id").notNull(),
    budgetId: uuid("budget_id")
      .notNull()
      .references(() => budgets.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    amount: numeric("amount", { precision: 24, scale: 8 }).notNull(),
    state: text("state", { enum: ["held", "settled", "expired"] })
      .notNull()
      .default("held"),
    actual: numeric("actual", { precision: 24, scale: 8 }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "string" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().default(sql`now()`),
    settledAt: timestamp("settled_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    primaryKey({ columns: [t.workId, t.budgetId] }),
    index("budget_reservations_expiry_idx").on(t.state, t.expiresAt),
  ],
);
