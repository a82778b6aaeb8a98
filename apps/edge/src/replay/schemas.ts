import { CONV_EVENT_TYPES } from "@conclave/subjects";
import { z } from "@hono/zod-openapi";

/** What one replay request may answer; a longer range answers its first part and links the rest. */
export const REPLAY_LIMITS = {
  /** Events per request (`limit` at most this; its default). */
  maxEvents: 10_000,
  /** Rows read from PostgreSQL per query while the answer streams: what the edge holds at once. */
  batch: 500,
} as const;

const Seq = z.coerce.number().int("must be an integer").min(0).max(Number.MAX_SAFE_INTEGER);
const Instant = z.iso.datetime({
  offset: true,
  message: "must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z",
});

export const ReplayQuery = z
  .strictObject({
    turnId: z.uuid("must be a UUID").optional().openapi({ description: "Only this turn's events." }),
    fromSeq: Seq.optional().openapi({ description: "The first stream seq (inclusive)." }),
    toSeq: Seq.optional().openapi({ description: "The last stream seq (inclusive)." }),
    since: Instant.optional().openapi({ description: "Events stamped (`at`) at or after this." }),
    until: Instant.optional().openapi({ description: "Events stamped (`at`) at or before this." }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(REPLAY_LIMITS.maxEvents)
      .default(REPLAY_LIMITS.maxEvents)
      .openapi({
        description: `Events in this answer, at most ${REPLAY_LIMITS.maxEvents} (the default); the rest of the range is behind the \`Link: rel="next"\` header.`,
      }),
  })
  .superRefine((q, ctx) => {
    if (q.fromSeq !== undefined && q.toSeq !== undefined && q.fromSeq > q.toSeq)
      ctx.addIssue({ code: "custom", path: ["toSeq"], message: "must not be below fromSeq" });
    if (q.since !== undefined && q.until !== undefined && Date.parse(q.since) > Date.parse(q.until))
      ctx.addIssue({ code: "custom", path: ["until"], message: "must not be before since" });
  });
export type ReplayQuery = z.infer<typeof ReplayQuery>;

const ActorView = z.object({
  kind: z.enum(["user", "agent", "system"]),
  id: z.string(),
  name: z.string().optional(),
});

/** One NDJSON line of a replay: the event as it was published, and its stream seq. */
export const ReplayLine = z
  .object({
    seq: z
      .number()
      .int()
      .openapi({ description: "The event's JetStream stream seq (as the live feeds carry it)." }),
    event: z.object({
      id: z.uuid(),
      type: z.enum(CONV_EVENT_TYPES as [string, ...string[]]),
      v: z.number().int(),
      groupId: z.uuid(),
      turnId: z.uuid().nullable(),
      causationId: z.uuid().nullable(),
      at: z.string(),
      actor: ActorView,
      payload: z
        .record(z.string(), z.unknown())
        .openapi({ description: "The type's payload (see `subjects/`)." }),
      traceparent: z
        .string()
        .optional()
        .openapi({ description: "The W3C trace context the event was decided in (absent on older events)." }),
      forkedFrom: z
        .object({ groupId: z.uuid(), seq: z.number().int(), eventId: z.uuid() })
        .optional()
        .openapi({ description: "On a fork's copies only: the original group, seq and event id." }),
    }),
  })
  .openapi("ReplayLine");
export type ReplayLine = z.infer<typeof ReplayLine>;

/** One LLM call as the executor recorded it: the prompt it sent, and how it ended. */
export const TimelineCall = z
  .object({
    id: z.uuid().openapi({ description: "The call's `work.llm` item id (the outcome's `causationId`)." }),
    agentId: z.uuid(),
    agentName: z.string(),
    askId: z.string().nullable(),
    purpose: z.string().openapi({ description: "`reply`, `vote`, `select`…, or `summary`." }),
    step: z.number().int().openapi({ description: "0, then +1 after each round of tool results." }),
    provider: z.string(),
    model: z.string(),
    prompt: z.object({
      system: z.string().openapi({ description: "The agent's system prompt as sent." }),
      messages: z
        .array(z.record(z.string(), z.unknown()))
        .openapi({ description: "The conversation exactly as the call sent it (`ConversationMessage`s)." }),
    }),
    reply: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string(),
    durationMs: z.number().int(),
    inputTokens: z.number().int().nullable(),
    outputTokens: z.number().int().nullable(),
    cachedTokens: z.number().int().nullable(),
    /** What the call cost by the price in effect when it started (null: no price covers its model). */
    cost: z.number().nullable(),
    currency: z.string().nullable(),
    outcome: z.enum(["ok", "failed"]),
    error: z.string().nullable(),
  })
  .openapi("TimelineCall");
export type TimelineCall = z.infer<typeof TimelineCall>;

/** A turn's events in seq order, each LLM call's outcome with the call that produced it. */
export const TimelineView = z
  .object({
    groupId: z.uuid(),
    turnId: z.uuid(),
    steps: z.array(
      ReplayLine.extend({
        call: TimelineCall.nullable().openapi({
          description:
            "On an LLM call's outcome (reply, failure, tool request, summary): the call as recorded.",
        }),
      }),
    ),
  })
  .openapi("Timeline");
export type TimelineView = z.infer<typeof TimelineView>;
