import { sql } from "drizzle-orm";
import { numeric, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

/**
 * What a provider's model costs per million tokens from `effective_from` on; a call is priced by the
 * row in effect when it started. `model` `*` prices every model of the provider without a row of its own.
 */
export const prices = pgTable(
  "prices",
  {
    id: uuid("id").primaryKey(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    effectiveFrom: timestamp("effective_from", { withTimezone: true, mode: "string" }).notNull(),
    inputPerMtok: numeric("input_per_mtok", { precision: 18, scale: 6 }).notNull(),
    outputPerMtok: numeric("output_per_mtok", { precision: 18, scale: 6 }).notNull(),
    cachedPerMtok: numeric("cached_per_mtok", { precision: 18, scale: 6 }).notNull(),
    currency: text("currency").notNull().default("USD"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().default(sql`now()`),
  },
  // The unique index also serves the executor's lookup (provider, model, newest start first).
  (t) => [unique("prices_model_from_uq").on(t.provider, t.model, t.effectiveFrom)],
);
