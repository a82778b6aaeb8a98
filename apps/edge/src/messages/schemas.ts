import { STRATEGIES } from "@conclave/db";
import { TurnFailed, text } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";
import { GroupIdParam } from "../groups/schemas.js";

export const HistoryQuery = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const IdempotencyHeader = z.object({
  "idempotency-key": text()
    .regex(/^[A-Za-z0-9_.:-]{1,200}$/, "1 to 200 letters, digits, _ . : -")
    .optional()
    .openapi({ description: "A retry with the same key answers the same ids and publishes nothing new." }),
});

export const TurnParams = GroupIdParam.extend({ turnId: z.uuid("must be a UUID") });

export const ToolDecisionBody = z
  .strictObject({
    /** The waiting call's key, from its `tool.approval_requested` event. */
    key: text().regex(/^[0-9a-f]{64}$/, "must be a tool call key"),
    approve: z.boolean(),
    reason: text().trim().min(1).max(1000).optional(),
  })
  .openapi("ToolDecision");
export const ToolDecisionView = z
  .object({ seq: z.number().int(), duplicate: z.boolean() })
  .openapi("ToolDecisionAccepted");

export const CancelTurnBody = z
  .strictObject({
    reason: text().trim().min(1).max(1000).optional().openapi({ description: "Why; kept in the event." }),
  })
  .openapi("CancelTurn");
export const CancelRequestedView = z
  .object({ turnId: z.uuid(), status: z.literal("cancel_requested") })
  .openapi("CancelRequested");

export const postMessageBody = (maxChars: number) =>
  z
    .strictObject({
      content: text().trim().min(1).max(maxChars),
      authorName: text().trim().min(1).max(100).optional(),
    })
    .openapi("PostMessage");

/** `?wait=` on a post or a turn: seconds to wait for the turn's outcome. */
export const WaitQuery = z.object({
  wait: z.coerce.number().gt(0).max(60).optional().openapi({
    description:
      "Seconds (over 0, at most 60) to wait for the turn's outcome: `200` with the finished turn as soon as it ends, `202` with its status when the wait ends first (or at once when the edge cannot wait: as many waits open as `EDGE_MAX_WAITS`, or the stream unreachable).",
    example: 10,
  }),
});

export const PostedView = z
  .object({
    messageId: z.uuid(),
    turnId: z.uuid(),
    seq: z.number().int().openapi({ description: "The message's stream seq." }),
    status: z.enum(["queued", "running", "completed", "failed"]).optional().openapi({
      description:
        "With `wait` only: the turn's status when the wait ended (`queued` until the edge saw it start).",
    }),
  })
  .openapi("Posted");
export type PostedView = z.infer<typeof PostedView>;

const Usage = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() });

const TurnReply = z
  .object({
    id: z.uuid().openapi({ description: "The `agent.replied` event's id." }),
    seq: z.number().int(),
    agentId: z.uuid(),
    agentName: z.string(),
    content: z.string(),
    provider: z.string(),
    model: z.string(),
    usage: Usage.extend({ cachedTokens: z.number().int() }).nullable(),
    at: z.string(),
  })
  .openapi("TurnReply");

const TurnOutcomeVote = z
  .object({
    voteId: z.uuid(),
    status: z.enum(["open", "closed"]),
    question: z.string().nullable(),
    rule: z
      .object({
        kind: z.enum(["majority", "supermajority", "unanimous"]),
        threshold: z.number().optional(),
      })
      .nullable(),
    quorum: z.object({ kind: z.enum(["count", "share"]), min: z.number() }).nullable(),
    options: z.array(z.object({ choice: z.string(), agentId: z.uuid().optional(), summary: z.string() })),
    deadline: z.string().nullable(),
    closedBy: z.enum(["all_voted", "deadline"]).nullable(),
    winner: z.string().nullable(),
    leader: z.string().nullable(),
    reason: z.string().nullable(),
    tally: z
      .object({
        choices: z.array(
          z.object({
            choice: z.string(),
            count: z.number().int(),
            share: z.number(),
            meanConfidence: z.number(),
            voters: z.array(z.uuid()),
          }),
        ),
        tieBreak: z.object({ tied: z.array(z.string()), by: z.string() }).nullable(),
        turnout: z.object({
          eligible: z.number().int(),
          voted: z.number().int(),
          abstained: z.number().int(),
          missing: z.array(z.uuid()),
        }),
        quorum: z.object({ required: z.number().int(), met: z.boolean() }),
      })
      .nullable()
      .openapi({ description: "The count of `vote.closed`; null while the vote is open." }),
    ballots: z.array(
      z.object({
        agentId: z.uuid(),
        agentName: z.string(),
        choice: z.string().nullable().openapi({ description: "null: abstained." }),
        confidence: z.number(),
        rationale: z.string(),
        replyId: z.uuid().nullable().openapi({ description: "The reply the ballot was read from." }),
      }),
    ),
    consensus: z
      .object({
        status: z.enum(["reached", "failed"]),
        choice: z.string().nullable().openapi({ description: "The chosen option (reached)." }),
        code: z.string().nullable().openapi({ description: "Why it failed (`tie`, `no_quorum`, ...)." }),
        reason: z.string().nullable(),
        confidence: z
          .number()
          .openapi({ description: "The winner's (or leader's) share of the votes cast." }),
        answer: z.string().nullable().openapi({ description: "The winning proposal's text, when known." }),
      })
      .nullable(),
  })
  .openapi("TurnOutcomeVote");

/** A turn that ended, read from the stream: what `?wait=` answers with `200`. */
export const FinishedTurnView = z
  .object({
    messageId: z.uuid(),
    turnId: z.uuid(),
    seq: z.number().int().openapi({ description: "The message's stream seq." }),
    status: z.enum(["completed", "failed"]),
    reason: z.enum(TurnFailed.shape.reason.options).nullable().openapi({ description: "Why it failed." }),
    detail: z.string().nullable(),
    strategy: z.enum(STRATEGIES).nullable().openapi({ description: "null: the turn never started." }),
    durationMs: z.number().int(),
    endedAt: z.string(),
    replies: z.array(TurnReply).openapi({
      description: "The agents' answers in stream order (not their ballots or a selector's picks).",
    }),
    vote: TurnOutcomeVote.nullable().openapi({ description: "The ballot of a `debate_vote` turn." }),
    usage: Usage.openapi({
      description: "Tokens of every model call of the turn (replies, ballots, picks, tool requests).",
    }),
  })
  .openapi("FinishedTurn");
export type FinishedTurnView = z.infer<typeof FinishedTurnView>;

export const MessageView = z
  .object({
    id: z.uuid(),
    seq: z.number().int(),
    type: z.string(),
    turnId: z.uuid().nullable(),
    author: z.object({ kind: z.string(), id: z.string(), name: z.string().nullable() }),
    content: z.string(),
    at: z.string(),
  })
  .openapi("Message");

export const HistoryView = z
  .object({ items: z.array(MessageView), nextAfterSeq: z.number().int().nullable() })
  .openapi("History");

const TurnVote = z
  .object({
    voteId: z.uuid(),
    status: z.enum(["open", "closed"]),
    rule: z.record(z.string(), z.unknown()).nullable(),
    quorum: z.record(z.string(), z.unknown()).nullable(),
    options: z.array(z.object({ choice: z.string(), agentId: z.string().optional(), summary: z.string() })),
    deadline: z.string().nullable(),
    closedBy: z.enum(["all_voted", "deadline"]).nullable(),
    winner: z.string().nullable(),
    reason: z.string().nullable(),
    consensus: z.enum(["reached", "failed"]).nullable(),
    consensusCode: z
      .string()
      .nullable()
      .openapi({ description: "Why consensus failed (`tie`, `no_quorum`, ...)." }),
    confidence: z
      .number()
      .nullable()
      .openapi({ description: "The winner's (or leader's) share of the votes cast." }),
    tally: z.record(z.string(), z.unknown()).nullable(),
    ballots: z.array(
      z.object({
        agentId: z.uuid(),
        agentName: z.string(),
        choice: z.string().nullable().openapi({ description: "null: abstained." }),
        confidence: z.number(),
        rationale: z.string(),
      }),
    ),
  })
  .openapi("TurnVote");

export const TurnView = z
  .object({
    id: z.uuid(),
    groupId: z.uuid(),
    messageId: z.uuid(),
    status: z.enum(["queued", "running", "completed", "failed"]),
    reason: z.string().nullable(),
    strategy: z.enum(STRATEGIES).nullable().openapi({ description: "null until the turn started." }),
    postedAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    votes: z.array(TurnVote).openapi({ description: "The ballot of a `debate_vote` turn; empty otherwise." }),
  })
  .openapi("Turn");
