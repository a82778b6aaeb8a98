import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.js";

/** A conversation: its members are agents (people arrive with accounts). */
export const groups = pgTable("groups", {
  id: uuid("id").primaryKey(),
  name: text("name").notNull(),
  strategy: text("strategy").notNull().default("broadcast"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** Scripted-provider settings, or provider options for real models. */
export type AgentConfig = {
  scripted?: { replies?: string[]; echo?: boolean; delayMs?: number; failWith?: string };
};

export const agents = pgTable("agents", {
  id: uuid("id").primaryKey(),
  name: text("name").notNull(),
  provider: text("provider").notNull(),
  model: text("model").notNull(),
  systemPrompt: text("system_prompt").notNull().default(""),
  config: jsonb("config").$type<AgentConfig>().notNull().default({}),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
});

export const groupAgents = pgTable(
  "group_agents",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    /** Seat order: the order agents are listed and, for ordered strategies, speak. */
    seat: integer("seat").notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.agentId] })],
);

/** People in a group: `owner` manages it, `member` reads and posts, `viewer` reads. */
export const groupMembers = pgTable(
  "group_members",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "member", "viewer"] }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.accountId] }),
    index("group_members_account_idx").on(t.accountId),
  ],
);
