import { z } from "zod";
import { Id } from "./common.js";
import { text } from "./text.js";

/** The strategies a group can run; each is a LangGraph graph in the orchestrator. */
export const STRATEGY_NAMES = ["broadcast", "round_robin", "mentions", "selector", "debate_vote"] as const;
export const StrategyName = z.enum(STRATEGY_NAMES);
export type StrategyName = z.infer<typeof StrategyName>;

/** What an agent is asked for: an answer, a vote (a JSON ballot), or the next speaker (selector). */
export const ASK_PURPOSES = ["reply", "ballot", "select"] as const;
export const AskPurpose = z.enum(ASK_PURPOSES);
export type AskPurpose = z.infer<typeof AskPurpose>;

/** `speaker.selected`: who the strategy chose to speak next, and why (the rule or the selector's reason). */
export const SPEAKER_SELECTED = "speaker.selected";
export const SpeakerSelected = z.object({
  agentId: Id,
  agentName: z.string(),
  strategy: StrategyName,
  /** The rule that chose: seat order, a mention, the selector, a guard's fallback, everyone at once. */
  rule: z.enum(["broadcast", "seat_order", "mention", "selector", "fallback", "debate"]),
  reason: z.string().max(2000),
  /** 1-based round of `round_robin` and `debate_vote` (0 for the opening answers of a debate). */
  round: z.number().int().min(0).optional(),
  /** The ask the agent now answers; its reply carries the same id. */
  askId: z.string().max(200),
});
export type SpeakerSelected = z.infer<typeof SpeakerSelected>;

/** `guard.triggered`: a loop guard stopped something the strategy would otherwise have done. */
export const GUARD_TRIGGERED = "guard.triggered";
export const GuardTriggered = z.object({
  code: z.enum(["hop_limit", "ping_pong", "repeat_guard", "invalid_pick", "max_steps", "repeat_limit"]),
  reason: z.string().max(2000),
  agentId: Id.optional(),
});
export type GuardTriggered = z.infer<typeof GuardTriggered>;

const VoteRuleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("majority") }),
  z.object({ kind: z.literal("supermajority"), threshold: z.number().gt(0.5).max(1) }),
  z.object({ kind: z.literal("unanimous") }),
]);
const QuorumSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("count"), min: z.number().int().min(0) }),
  z.object({ kind: z.literal("share"), min: z.number().min(0).max(1) }),
]);

/** `vote.opened`: the ballot of a `debate_vote` turn: who may vote, by which rule, until when. */
export const VOTE_OPENED = "vote.opened";
export const VoteOpened = z.object({
  voteId: Id,
  question: z.string().max(20_000),
  /** The choices on the ballot: each debater's last answer is proposed under its name. */
  options: z.array(z.object({ choice: z.string(), agentId: Id.optional(), summary: z.string().max(2000) })),
  voters: z.array(z.object({ agentId: Id, agentName: z.string(), seat: z.number().int().min(0) })),
  rule: VoteRuleSchema,
  quorum: QuorumSchema,
  deadline: z.iso.datetime(),
});
export type VoteOpened = z.infer<typeof VoteOpened>;

/** `vote.cast`: one agent's ballot; a null `choice` abstains. */
export const VOTE_CAST = "vote.cast";
export const VoteCast = z.object({
  voteId: Id,
  agentId: Id,
  agentName: z.string(),
  choice: z.string().max(200).nullable(),
  confidence: z.number().min(0).max(1),
  rationale: z.string().max(4000),
  /** The agent's reply the ballot was read from. */
  replyId: Id.optional(),
});
export type VoteCast = z.infer<typeof VoteCast>;

/** `vote.closed`: the tally, the winner (if any), and how a tie at the top was broken. */
export const VOTE_CLOSED = "vote.closed";
export const VoteClosed = z.object({
  voteId: Id,
  /** Why it closed: every voter sent a ballot, or the deadline passed (missing ballots abstain). */
  closedBy: z.enum(["all_voted", "deadline"]),
  winner: z.string().nullable(),
  leader: z.string().nullable(),
  outcome: z.string(),
  reason: z.string().max(4000),
  choices: z.array(
    z.object({
      choice: z.string(),
      count: z.number().int().min(0),
      share: z.number().min(0).max(1),
      meanConfidence: z.number().min(0).max(1),
      voters: z.array(Id),
    }),
  ),
  tieBreak: z
    .object({ tied: z.array(z.string()), by: z.enum(["mean_confidence", "first_seat", "choice"]) })
    .nullable(),
  turnout: z.object({
    eligible: z.number().int().min(0),
    voted: z.number().int().min(0),
    abstained: z.number().int().min(0),
    missing: z.array(Id),
  }),
  quorum: z.object({ required: z.number().int().min(0), met: z.boolean() }),
});
export type VoteClosed = z.infer<typeof VoteClosed>;

/** `consensus.reached`: the vote chose `choice`; `confidence` is its share of the votes cast. */
export const CONSENSUS_REACHED = "consensus.reached";
export const ConsensusReached = z.object({
  voteId: Id,
  choice: z.string(),
  confidence: z.number().min(0).max(1),
  rule: z.enum(["majority", "supermajority", "unanimous"]),
  /** The winning proposal's text, when the choice names a debater's answer. */
  answer: z.string().max(200_000).optional(),
});
export type ConsensusReached = z.infer<typeof ConsensusReached>;

/** `consensus.failed`: no choice met the rule; `confidence` is the leader's share of the votes cast (0 if none). */
export const CONSENSUS_FAILED = "consensus.failed";
export const ConsensusFailed = z.object({
  voteId: Id,
  code: z.enum(["no_quorum", "no_votes", "tie", "no_majority", "no_supermajority", "dissent"]),
  reason: z.string().max(4000),
  leader: z.string().nullable(),
  confidence: z.number().min(0).max(1),
});
export type ConsensusFailed = z.infer<typeof ConsensusFailed>;

/** `turn.cancel_requested`: a person asked to stop a turn (running or still queued). */
export const TURN_CANCEL_REQUESTED = "turn.cancel_requested";
export const TurnCancelRequested = z.object({
  reason: text().max(1000).optional(),
  /** The message that opened the turn, when the edge knows it: a queued turn then ends at once. */
  messageId: Id.optional(),
});
export type TurnCancelRequested = z.infer<typeof TurnCancelRequested>;
