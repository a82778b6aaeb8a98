import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { bigint, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

// Text search configuration `simple`: lowercased words, no stemming, no stopwords. A group may write
// in any language, or several, and one language's stemmer and stopwords mangle the others.

/** The indexed search vector of message content: a query must use this very expression to use the index. */
export function messageSearchVector(content: SQLWrapper): SQL {
  return sql`to_tsvector('simple', ${content})`;
}

/** Words as a query over `messageSearchVector`: a bound parameter, parsed by PostgreSQL (all of them must match). */
export function messageSearchTerms(words: string): SQL {
  return sql`plainto_tsquery('simple', ${words})`;
}

/** The passage of `content` that best matches `query`, as `ts_headline` marks it with `options`. */
export function messageSearchHeadline(content: SQLWrapper, query: SQL, options: string): SQL {
  return sql`ts_headline('simple', ${content}, ${query}, ${options})`;
}

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
    /** What an agent's reply answered (`reply`, `ballot`, `select`); null for people's messages and older replies. */
    purpose: text("purpose"),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    index("messages_group_seq_idx").on(t.groupId, t.seq),
    // An expression index, not a stored tsvector column: no second copy of every message on disk.
    index("messages_content_search_idx").using("gin", messageSearchVector(t.content)),
  ],
);
