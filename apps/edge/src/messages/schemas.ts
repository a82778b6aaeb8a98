import { STRATEGIES } from "@conclave/db";
import { text } from "@conclave/subjects";
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

export const PostedView = z
  .object({ messageId: z.uuid(), turnId: z.uuid(), seq: z.number().int() })
  .openapi("Posted");

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
