import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.js";
import { agents } from "./agents.js";

/** How a group picks who speaks (each is a LangGraph graph in the orchestrator). */
export const STRATEGIES = ["broadcast", "round_robin", "mentions", "selector", "debate_vote"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What a message posted while a turn runs does: wait its turn, be refused, or cut the running turn short. */
export const CONCURRENT_INPUT = ["enqueue", "reject", "interrupt"] as const;
export type ConcurrentInput = (typeof CONCURRENT_INPUT)[number];

/** A group's limits and policies; read when a turn starts, so a change applies from the next turn. */
export type GroupSettings = {
  turnLimits?: {
    /** Rounds of `round_robin` and `debate_vote`. */
    maxRounds?: number;
    /** Agent-to-agent hops of `mentions`, and how often two agents may alternate. */
    maxHops?: number;
    maxAlternations?: number;
    /** Speakers a `selector` turn may pick, and how often one in a row. */
    maxSteps?: number;
    maxConsecutive?: number;
    turnTimeoutMs?: number;
    maxTokensPerTurn?: number;
    /** LLM calls (asks, not tool steps) one turn may make across all its agents. */
    maxAgentSteps?: number;
  };
  /** The ballot of `debate_vote`. */
  voting?: {
    rule?: "majority" | "supermajority" | "unanimous";
    /** Share of the votes cast a supermajority needs (0.5 < t ≤ 1); only with `supermajority`. */
    threshold?: number;
    /** Non-abstaining ballots needed: a count of voters, or a share (0..1) of them. */
    quorum?: { kind: "count" | "share"; min: number };
    /** How long the ballot stays open; missing ballots then abstain. */
    deadlineMs?: number;
  };
  /** The agent that picks speakers in a `selector` group (seated in the group; it never speaks itself). */
  selectorAgentId?: string;
  /** What `mentions` does with a message that mentions no agent. */
  mentionFallback?: "broadcast" | "round_robin" | "none";
  concurrentInput?: ConcurrentInput;
  /** Days history is kept; null keeps it. */
  retentionDays?: number | null;
  /** What agents remember of the conversation (see `MemorySettings` in subjects). */
  memory?: {
    enabled?: boolean;
    windowTokens?: number;
    maxMessages?: number;
    summarizeAfterTokens?: number;
    summarizerAgentId?: string;
  };
};

/** A conversation: its members are people (with roles) and agents (in seat order). */
export const groups = pgTable("groups", {
  id: uuid("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  strategy: text("strategy", { enum: STRATEGIES }).notNull().default("broadcast"),
  settings: jsonb("settings").$type<GroupSettings>().notNull().default({}),
  /** A fork: the group and seq its history was copied from (null for a group started afresh). */
  forkedFrom: jsonb("forked_from").$type<{ groupId: string; fromSeq: number }>(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
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
  (t) => [primaryKey({ columns: [t.groupId, t.agentId] }), index("group_agents_agent_idx").on(t.agentId)],
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
