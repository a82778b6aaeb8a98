import { bigint, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** The conversation as people read it: posted messages and agents' replies, by stream order. */
export const messages = pgTable(
  "messages",
  {
    /** The id of the event that carried the message. */
    id: uuid("id").primaryKey(),
    groupId: uuid("group_id").notNull(),
    turnId: uuid("turn_id"),
    seq: bigint("seq", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    authorKind: text("author_kind").notNull(),
    authorId: text("author_id").notNull(),
    authorName: text("author_name"),
    content: text("content").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [index("messages_group_seq_idx").on(t.groupId, t.seq)],
);
