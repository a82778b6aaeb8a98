import { z } from "zod";
import { Id } from "./common.js";
import { StrategyName } from "./orchestration.js";

/** `turn.started`: the orchestrator began the turn a message opened, and chose who answers. */
export const TURN_STARTED = "turn.started";
export const TurnStarted = z.object({
  messageId: Id,
  messageSeq: z.number().int().positive(),
  strategy: StrategyName,
  agentIds: z.array(Id),
  deadline: z.iso.datetime(),
  /**
   * What the turn's prompts remember (added in v1 as optional): the summary they start from, the
   * oldest and newest earlier entries any agent's window holds, the blocks' versions. With the
   * stream, it reconstructs every prompt of the turn.
   */
  memory: z
    .object({
      summaryId: Id.nullable(),
      resetSeq: z.number().int().min(0),
      fromSeq: z.number().int().min(0).nullable(),
      toSeq: z.number().int().min(0).nullable(),
      entries: z.number().int().min(0),
      blocks: z.array(z.object({ label: z.string(), version: z.number().int().min(1) })),
    })
    .optional(),
});
export type TurnStarted = z.infer<typeof TurnStarted>;

/** `turn.completed`: every chosen agent answered. */
export const TURN_COMPLETED = "turn.completed";
export const TurnCompleted = z.object({
  messageId: Id,
  replyIds: z.array(Id),
  durationMs: z.number().int().min(0),
});
export type TurnCompleted = z.infer<typeof TurnCompleted>;

/**
 * `turn.failed`: the turn ended without every answer; `reason` says why: an agent failed, the wall
 * time ran out, a person cancelled it, a newer message interrupted it (`interrupt` policy), it was
 * refused because a turn was running (`reject` policy), a turn limit (agent steps, tokens) or a loop
 * guard stopped it, the group's settings cannot run, or a budget refused an LLM call (`budget`).
 */
export const TURN_FAILED = "turn.failed";
export const TurnFailed = z.object({
  messageId: Id,
  reason: z.enum([
    "agent_failed",
    "timeout",
    "cancelled",
    "interrupted",
    "limit",
    "guard",
    "rejected",
    "misconfigured",
    "budget",
  ]),
  detail: z.string().max(4000),
  replyIds: z.array(Id),
  durationMs: z.number().int().min(0),
});
export type TurnFailed = z.infer<typeof TurnFailed>;
