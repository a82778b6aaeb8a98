import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { STRATEGIES } from "./groups.js";

/** One row per turn, updated as its events arrive. */
export const turns = pgTable(
  "turns",
  {
    id: uuid("id").primaryKey(),
    groupId: uuid("group_id").notNull(),
    messageId: uuid("message_id").notNull(),
    status: text("status", { enum: ["queued", "running", "completed", "failed"] }).notNull(),
    /** The strategy the turn ran (from `turn.started`); null until it started. */
    strategy: text("strategy", { enum: STRATEGIES }),
    reason: text("reason"),
    postedAt: timestamp("posted_at", { withTimezone: true, mode: "string" }),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "string" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [index("turns_group_idx").on(t.groupId)],
);
