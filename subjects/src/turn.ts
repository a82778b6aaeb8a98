import { z } from "zod";
import { Id } from "./common.js";

/** `turn.started`: the orchestrator began the turn a message opened, and chose who answers. */
export const TURN_STARTED = "turn.started";
export const TurnStarted = z.object({
  messageId: Id,
  messageSeq: z.number().int().positive(),
  strategy: z.enum(["broadcast"]),
  agentIds: z.array(Id),
  deadline: z.iso.datetime(),
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

/** `turn.failed`: the turn ended without every answer; `reason` says why. */
export const TURN_FAILED = "turn.failed";
export const TurnFailed = z.object({
  messageId: Id,
  reason: z.enum(["agent_failed", "timeout"]),
  detail: z.string().max(4000),
  replyIds: z.array(Id),
  durationMs: z.number().int().min(0),
});
export type TurnFailed = z.infer<typeof TurnFailed>;
