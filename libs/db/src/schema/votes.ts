import { doublePrecision, index, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

/** A ballot option, voter, rule and quorum as `vote.opened` carries them. */
export type VoteOption = { choice: string; agentId?: string; summary: string };
export type VoteVoter = { agentId: string; agentName: string; seat: number };
export type VoteRule =
  | { kind: "majority" }
  | { kind: "supermajority"; threshold: number }
  | { kind: "unanimous" };
export type VoteQuorum = { kind: "count" | "share"; min: number };
/** The count of `vote.closed`: each choice, the leader, how a tie broke, turnout and quorum. */
export type VoteTally = {
  leader: string | null;
  choices: { choice: string; count: number; share: number; meanConfidence: number; voters: string[] }[];
  tieBreak: { tied: string[]; by: string } | null;
  turnout: { eligible: number; voted: number; abstained: number; missing: string[] };
  quorum: { required: number; met: boolean };
};

/**
 * One vote of a `debate_vote` turn, built from `vote.opened`, `vote.closed` and `consensus.*`.
 * Events may be recorded in any order, so each fills only its own columns: the ballot's columns
 * stay null until `vote.opened` is recorded.
 */
export const votes = pgTable(
  "votes",
  {
    voteId: uuid("vote_id").primaryKey(),
    groupId: uuid("group_id").notNull(),
    turnId: uuid("turn_id"),
    question: text("question"),
    options: jsonb("options").$type<VoteOption[]>(),
    voters: jsonb("voters").$type<VoteVoter[]>(),
    rule: jsonb("rule").$type<VoteRule>(),
    quorum: jsonb("quorum").$type<VoteQuorum>(),
    deadline: timestamp("deadline", { withTimezone: true, mode: "string" }),
    status: text("status", { enum: ["open", "closed"] })
      .notNull()
      .default("open"),
    closedBy: text("closed_by", { enum: ["all_voted", "deadline"] }),
    winner: text("winner"),
    outcome: text("outcome"),
    reason: text("reason"),
    tally: jsonb("tally").$type<VoteTally>(),
    consensus: text("consensus", { enum: ["reached", "failed"] }),
    /** Why consensus failed (`no_quorum`, `tie`, ...); null when reached. */
    consensusCode: text("consensus_code"),
    /** The chosen (or leading) choice's share of the votes cast. */
    confidence: doublePrecision("confidence"),
    openedAt: timestamp("opened_at", { withTimezone: true, mode: "string" }),
    closedAt: timestamp("closed_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [index("votes_group_idx").on(t.groupId), index("votes_turn_idx").on(t.turnId)],
);

/** One agent's ballot (`vote.cast`); an agent's first ballot in a vote is the one that counts. */
export const voteBallots = pgTable(
  "vote_ballots",
  {
    /** The id of the `vote.cast` event. */
    eventId: uuid("event_id").primaryKey(),
    voteId: uuid("vote_id").notNull(),
    groupId: uuid("group_id").notNull(),
    agentId: uuid("agent_id").notNull(),
    agentName: text("agent_name").notNull(),
    /** Null: the agent abstained. */
    choice: text("choice"),
    confidence: doublePrecision("confidence").notNull(),
    rationale: text("rationale").notNull(),
    replyId: uuid("reply_id"),
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [unique("vote_ballots_vote_agent_key").on(t.voteId, t.agentId)],
);
