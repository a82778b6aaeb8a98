import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Every conversation event as recorded, keyed by event id: the projection's idempotency key. */
export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    groupId: uuid("group_id").notNull(),
    turnId: uuid("turn_id"),
    causationId: uuid("causation_id"),
    type: text("type").notNull(),
    v: integer("v").notNull(),
    actor: jsonb("actor").notNull(),
    payload: jsonb("payload").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
    /** The W3C trace context the event was decided in (null for events of earlier versions). */
    traceparent: text("traceparent"),
    /** A fork's copy: the original group, seq and event id it was copied from (null otherwise). */
    forkedFrom: jsonb("forked_from").$type<{ groupId: string; seq: number; eventId: string }>(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    index("events_group_seq_idx").on(t.groupId, t.seq),
    // Replay of one turn, in seq order.
    index("events_turn_seq_idx").on(t.turnId, t.seq),
    // An agent's recent outcomes (its status) without scanning every event.
    index("events_agent_outcome_idx")
      .on(sql`(payload->>'agentId')`, t.at)
      .where(sql`type in ('agent.replied', 'agent.failed')`),
  ],
);
