import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.js";
import { groups } from "./groups.js";

/** A column of an uploaded CSV as profiled at upload (the shape of `@conclave/tools`' `ColumnProfile`). */
export type FileColumnProfile = {
  name: string;
  type: "integer" | "number" | "boolean" | "date" | "string";
  nulls: number;
  distinct: number;
  min?: number | string;
  max?: number | string;
  mean?: number;
  stddev?: number | null;
  top?: { value: string; count: number }[];
};

/** An uploaded CSV's profile: its row count and every column's statistics. */
export type FileProfile = { rows: number; columns: FileColumnProfile[] };

/**
 * A file uploaded to a group. Its bytes live in the object store under `<groupId>/<id>`; this row
 * is what the API lists and what turns offer to the group's agents.
 */
export const files = pgTable(
  "files",
  {
    id: uuid("id").primaryKey(),
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    /** Bytes, as stored. */
    size: integer("size").notNull(),
    /** Hex SHA-256 of the bytes. */
    sha256: text("sha256").notNull(),
    profile: jsonb("profile").$type<FileProfile>().notNull(),
    /** Null once the uploader's account is gone: the file belongs to the group. */
    uploadedBy: uuid("uploaded_by").references(() => accounts.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("files_group_idx").on(t.groupId, t.id)],
);
