import { index, integer, jsonb, numeric, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * One LLM call as the executor ran it, keyed by its `work.llm` item's id (a redelivered item adds
 * nothing): the prompt it was sent, what it cost and how it ended. Written once, when the call ends.
 * It is also the usage ledger: tokens, latency and cost per call, rolled up in SQL by `/v1/usage`.
 * They hold prompts, so they grow fast: retention empties a call's prompt and reply with its turn
 * and keeps its usage; a group's owner exports them (`GET /v1/groups/:id/export`).
 */
export const llmCalls = pgTable(
  "llm_calls",
  {
    id: uuid("id").primaryKey(),
    groupId: uuid("group_id").notNull(),
    turnId: uuid("turn_id"),
    agentId: uuid("agent_id").notNull(),
    agentName: text("agent_name").notNull(),
    /** The account charged for the call (the agent's owner), when the snapshot names one. */
    accountId: uuid("account_id"),
    askId: text("ask_id"),
    /** `reply`, `vote`, `select`… (the ask's purpose), or `summary` for a memory summary. */
    purpose: text("purpose").notNull(),
    /** 0 for an agent's first call of an ask, +1 after each round of tool results. */
    step: integer("step").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    systemPrompt: text("system_prompt").notNull(),
    /** The conversation exactly as the work item carried it to the provider. */
    messages: jsonb("messages").notNull(),
    /** The answer's text (a tool request's text before its calls); null when the call failed. */
    reply: text("reply"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "string" }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "string" }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    /** Input tokens the provider served from its prompt cache (part of `inputTokens`). */
    cachedTokens: integer("cached_tokens"),
    /** What the call cost by the price in effect at `startedAt`; null when no price covers its model. */
    cost: numeric("cost", { precision: 24, scale: 8 }),
    currency: text("currency"),
    /** The `prices` row that priced it. */
    priceId: uuid("price_id"),
    outcome: text("outcome", { enum: ["ok", "failed"] }).notNull(),
    error: text("error"),
    recordedAt: timestamp("recorded_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
  },
  (t) => [
    // A turn's timeline joins its calls by turn.
    index("llm_calls_turn_idx").on(t.turnId),
    // A group's export reads its calls in keyset pages by id (UUIDv7: in time order).
    index("llm_calls_group_idx").on(t.groupId, t.id),
    // The usage ledger: an account's calls over time, and a group's.
    index("llm_calls_account_started_idx").on(t.accountId, t.startedAt),
    index("llm_calls_group_started_idx").on(t.groupId, t.startedAt),
  ],
);
