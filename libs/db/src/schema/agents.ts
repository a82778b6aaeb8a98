import { sql } from "drizzle-orm";
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { accounts } from "./accounts.js";

/** Scripted-provider settings (the offline, deterministic provider), and the agent's memory window. */
export type AgentConfig = {
  scripted?: {
    replies?: string[];
    echo?: boolean;
    delayMs?: number;
    tokenDelayMs?: number;
    failWith?: string;
    toolCalls?: { name: string; args?: Record<string, unknown>; id?: string }[];
    /** Ballots cast when asked to vote, cycled by turn; a null choice abstains. */
    votes?: { choice: string | null; confidence?: number; rationale?: string }[];
  };
  /** The agent's own memory window, overriding its groups' `settings.memory`. */
  memory?: { windowTokens?: number; maxMessages?: number };
};

/** Per-agent limits, beyond the deployment's own. */
export type AgentLimits = {
  /** Tool calls the agent may make in one turn. */
  maxToolCalls?: number;
  /** How long one answer may take. */
  timeoutMs?: number;
  /** Longest answer kept, in characters. */
  maxReplyChars?: number;
};

/** An agent, owned by an account, that its owner seats in groups. */
export const agents = pgTable(
  "agents",
  {
    id: uuid("id").primaryKey(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    /** Null: the provider's default. */
    temperature: doublePrecision("temperature"),
    maxTokens: integer("max_tokens"),
    /** How the agent speaks; appended to the system prompt when a turn snapshots the agent. */
    personality: text("personality").notNull().default(""),
    systemPrompt: text("system_prompt").notNull().default(""),
    /** Names of the tools the agent may call. */
    tools: jsonb("tools").$type<string[]>().notNull().default([]),
    limits: jsonb("limits").$type<AgentLimits>().notNull().default({}),
    /** A disabled agent keeps its seats but does not speak. */
    enabled: boolean("enabled").notNull().default(true),
    config: jsonb("config").$type<AgentConfig>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("agents_account_idx").on(t.accountId, t.id)],
);
